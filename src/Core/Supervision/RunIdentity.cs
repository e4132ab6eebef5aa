using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>
/// Which processes one run of a service is (docs/lineage.md): the one record of a run's lineage state. It is changed
/// only by the verdicts of <see cref="Identity"/> (and reset by <see cref="Reconciler.OnStarted"/>), so every rule about
/// which process is the service is written, and tested, in one place.
/// </summary>
internal sealed record RunIdentity
{
    /// <summary>The identity of a run that has none yet (no process).</summary>
    public static readonly RunIdentity None = new();

    /// <summary>The process that stands for the service: its death is the service's (the launcher, a daemon, an adopted process).</summary>
    public TrackedProcess? Main { get; init; }

    /// <summary>The process Tend spawned for this run, while it is alive (it may linger after a daemon became
    /// <see cref="Main"/>).</summary>
    public TrackedProcess? Launcher { get; init; }

    /// <summary>The run mark its processes inherit (<c>Posix.RunMarks</c>), or 0 (adopted, or marks unavailable).</summary>
    public ulong Mark { get; init; }

    /// <summary>
    /// The process groups a stop reaches: the launcher's, and those of every process of the run's lineage seen while it
    /// started up. A group is signalled only once it is proven still the run's (<see cref="Identity.Reach"/>).
    /// </summary>
    public ImmutableArray<int> Groups { get; init; } = [];

    /// <summary>Pids of the run's lineage seen while it started up (the launcher aside).</summary>
    public ImmutableArray<int> Seen { get; init; } = [];

    /// <summary>When (ms) a new process of the run's lineage was last seen (0: never).</summary>
    public long LastNewAt { get; init; }

    /// <summary>Until when (ms) the run starts up: its new processes are the service's, and its lineage is followed.</summary>
    public long StartupUntil { get; init; }

    /// <summary>When (ms) the run was spawned (or adopted): it starts up for at least <see cref="Lineage.StartupMinMs"/> from
    /// then.</summary>
    public long SpawnedAt { get; init; }

    /// <summary>When (ms) the current main process became it (its spawn, adoption or hand-over).</summary>
    public long MainSince { get; init; }

    /// <summary>
    /// The newest start time (clock ticks after boot) of the processes the table showed when the current main process
    /// became it: a session whose leader is not newer was started before — part of the start-up (postgres's auxiliary
    /// processes, each in a session of its own), never one the daemon started later.
    /// </summary>
    public ulong MainSinceTicks { get; init; }

    /// <summary>
    /// Sessions the launcher, while it was the main process, started running its own executable (an sshd connection, a
    /// python application's python helper): part of the start-up (stopped with the service), but never what a launcher that
    /// served for <see cref="Lineage.DaemonSettleMs"/> or longer hands over to when it exits 0 — only a quick fork-and-exit
    /// (nginx's, redis's daemonizing) hands over to such a copy of itself.
    /// </summary>
    public ImmutableArray<int> LauncherSessions { get; init; } = [];

    /// <summary>
    /// The start time (clock ticks after boot) of each recorded group's leader when it was recorded: a group whose id is
    /// led now by a process with another start time is another group (the id was handed out again).
    /// </summary>
    public ImmutableDictionary<int, ulong> GroupLeaders { get; init; } = ImmutableDictionary<int, ulong>.Empty;

    /// <summary>Sessions that are not the service's although they carry its mark: logins and jobs the running server started
    /// itself.</summary>
    public ImmutableArray<int> Foreign { get; init; } = [];

    /// <summary>A new run: <paramref name="main"/> spawned (or adopted) at <paramref name="now"/>, marked with <paramref name="mark"/> (0:
    /// none).</summary>
    public static RunIdentity Started(TrackedProcess main, ulong mark, long now) => new()
    {
        Main = main, Launcher = main.Launched ? main : null, Mark = mark, Groups = WithGroup([], main.Pgid),
        StartupUntil = now + Lineage.StartupMinMs, MainSince = now, SpawnedAt = now,
    };

    /// <summary><paramref name="groups"/> with <paramref name="pgid"/> (when it is a group of the service's own, not 0).</summary>
    public static ImmutableArray<int> WithGroup(ImmutableArray<int> groups, int pgid) =>
        pgid > 0 && !groups.Contains(pgid) ? groups.Add(pgid) : groups;

    /// <summary>Whether the launcher still lingers beside a daemon that is the main process.</summary>
    public bool LauncherLingers => Launcher is { } l && Main is { } m && m.Pid != l.Pid;
}
