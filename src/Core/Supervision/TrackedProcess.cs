namespace Tend.Supervision;

/// <summary>A process identified by pid and start time (pids are reused; the pair is not).</summary>
/// <param name="Pid">The process id.</param>
/// <param name="StartTime">Field 22 of /proc/PID/stat, in clock ticks after boot (for a process Tend spawned, a lower bound taken just
/// before the spawn).</param>
/// <param name="Pgid">The process group that is the service's own and receives its signals, or 0 when it shares a group with
/// processes that are not the service's (an adopted process): then only the process itself is signalled.</param>
/// <param name="IsChild">Tend's direct child: its exit is seen through waitid; otherwise only a /proc scan sees it.</param>
/// <param name="Launched">Tend started it itself (it may still hand over to a daemon it starts); false for a daemon found by lineage, or an
/// adopted process.</param>
/// <param name="Comm">Its name as /proc/PID/stat shows it, when known (a daemon found by lineage, an adopted process).</param>
/// <param name="Sid">Its session, when known (for a process Tend spawned: its own pid, as posix_spawn's setsid made it).</param>
internal sealed record TrackedProcess(int Pid, ulong StartTime, int Pgid, bool IsChild, bool Launched, string? Comm = null, int Sid = 0)
{
    /// <summary>Whether <paramref name="p"/> is this process: the same pid and start time (for a process Tend spawned,
    /// <see cref="StartTime"/> is a lower bound taken before the spawn).</summary>
    internal bool Is(in Posix.ProcStat p) => p.Pid == Pid && (Launched ? p.StartTime >= StartTime : p.StartTime == StartTime);

    /// <summary>
    /// The service declared it its main process itself (sd_notify's <c>MAINPID=</c>): it stays the main process until it
    /// exits, whatever the looks at the run's lineage find, and its end is the run's end — as systemd takes a unit's main
    /// pid (systemd.service(5), <c>NotifyAccess=</c>; a launcher that lingers beside it is a leftover of the run then).
    /// </summary>
    public bool Declared { get; init; }
}
