namespace Tend.Supervision;

/// <summary>A process identified by pid and start time (pids are reused; the pair is not).</summary>
/// <param name="Pid">The process id.</param>
/// <param name="StartTime">Field 22 of /proc/PID/stat, in clock ticks after boot (for a process Tend spawned, a lower bound taken just before the spawn).</param>
/// <param name="Pgid">The process group that is the service's own and receives its signals, or 0 when it shares a group with
/// processes that are not the service's (an adopted process): then only the process itself is signalled.</param>
/// <param name="IsChild">Tend's direct child: its exit is seen through waitid; otherwise only a /proc scan sees it.</param>
/// <param name="Launched">Tend started it itself (it may still hand over to a daemon it starts); false for a daemon found by lineage, or an adopted process.</param>
public sealed record TrackedProcess(int Pid, ulong StartTime, int Pgid, bool IsChild, bool Launched);
