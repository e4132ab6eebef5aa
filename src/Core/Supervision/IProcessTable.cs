using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The process table a verdict of <see cref="Identity"/> looks at: every process's stat with its run mark, and each
/// process's executable on demand. The supervisor reads /proc (<see cref="RunLineage"/>); tests give a fake table or a
/// recorded one (a trace of a real daemon).
/// </summary>
internal interface IProcessTable
{
    /// <summary>Every process but the supervisor itself, with the run marks of those it may have started.</summary>
    IReadOnlyList<ProcStat> Processes { get; }

    /// <summary>The executable <paramref name="pid"/> runs (the target of /proc/PID/exe), or null when it cannot be read.</summary>
    string? Exe(int pid);
}
