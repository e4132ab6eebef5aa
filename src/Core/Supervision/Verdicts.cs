namespace Tend.Supervision;

/// <summary>What an exit of one of a run's processes means (<see cref="Identity.OnExit"/>).</summary>
internal enum ExitVerdictKind
{
    /// <summary>Neither the main process nor the launcher: nothing changes.</summary>
    NotOurs,

    /// <summary>Another process of the run's lineage is the main process now (<see cref="ExitVerdict.Chosen"/>).</summary>
    HandOver,

    /// <summary>The launcher that lingered beside a daemon exited 0; the daemon stays the main process.</summary>
    LauncherDone,

    /// <summary>A main process that was not Tend's child vanished while the launcher still runs: the launcher is the main process
    /// again.</summary>
    BackToLauncher,

    /// <summary>The run ended, with <see cref="ExitVerdict.Status"/>: what is left of it is stopped, then the restart policy
    /// decides.</summary>
    Ended,
}

/// <summary>The verdict on an exit: its kind, the run's identity after it, the status the run ended with, and why.</summary>
internal readonly record struct ExitVerdict(ExitVerdictKind Kind, RunIdentity Run, ExitStatus Status, string? Why = null,
    TrackedProcess? Chosen = null);

/// <summary>The verdict of a look at a run that starts up: its identity after it, and whether the main process changed (<see cref="Why"/>)
/// or vanished.</summary>
internal readonly record struct LookVerdict(RunIdentity Run, string? Why = null, TrackedProcess? Chosen = null, bool MainVanished = false);

/// <summary>A process group, or one process, that a signal to a service reaches (<see cref="Identity.Reach"/>).</summary>
/// <param name="IsGroup">A process group (<see cref="Id"/> is its id), else one process (<see cref="Id"/> is its pid).</param>
/// <param name="Id">The process group id or the pid.</param>
/// <param name="StartTime">For a process: its start time (clock ticks after boot), to prove the pid is still it.</param>
/// <param name="StartTimeIsLowerBound">For a process Tend spawned: <see cref="StartTime"/> was taken just before the spawn.</param>
internal readonly record struct SignalTarget(bool IsGroup, int Id, ulong StartTime = 0, bool StartTimeIsLowerBound = false)
{
    public static SignalTarget Group(int pgid) => new(true, pgid);

    public static SignalTarget Process(int pid, ulong startTime, bool lowerBound) => new(false, pid, startTime, lowerBound);

    public override string ToString() => IsGroup ? $"process group {Id}" : $"pid {Id}";
}
