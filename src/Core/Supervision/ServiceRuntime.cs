using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What Tend knows about one service at one moment; updated only through <see cref="Reconciler"/>.</summary>
public sealed record ServiceRuntime
{
    /// <summary>The phase.</summary>
    public ServicePhase Phase { get; init; } = ServicePhase.Waiting;

    /// <summary>The process that stands for the service while it runs.</summary>
    public TrackedProcess? Process { get; init; }

    /// <summary>
    /// The process groups of the current run: its launcher's, and those of every process of its lineage seen while
    /// it started up (<see cref="Lineage"/>). A stop, and the cleanup after the main process died, signal them all.
    /// </summary>
    public ImmutableArray<int> Groups { get; init; } = [];

    /// <summary>The run mark its processes inherit (<c>Posix.RunMarks</c>), or 0 (adopted, or marks unavailable).</summary>
    public ulong Mark { get; init; }

    /// <summary>The process Tend spawned for the current run, while it may still linger after handing over to its daemon.</summary>
    public TrackedProcess? Launcher { get; init; }

    /// <summary>Until when (ms) the current run is starting up: its new processes are the service's, and its lineage is followed.</summary>
    public long StartupUntil { get; init; }

    /// <summary>Pids of the run's lineage seen so far while it started up (the launcher aside).</summary>
    public ImmutableArray<int> Members { get; init; } = [];

    /// <summary>
    /// Its launcher exited 0 while starting up and left nothing running: completed, but — unlike a one-shot task or a
    /// service that must not restart — never a reason to stop the container, unless the service is critical.
    /// </summary>
    public bool LauncherCompleted { get; init; }

    /// <summary>When (ms) the current main process became it (its spawn, adoption or hand-over).</summary>
    public long MainSince { get; init; }

    /// <summary>Sessions the running daemon started itself once settled (logins, jobs): never the service's, even while it starts up.</summary>
    public ImmutableArray<int> ForeignSessions { get; init; } = [];

    /// <summary>When (ms) a new process of the run's lineage was last seen.</summary>
    public long LastNewMemberAt { get; init; }

    /// <summary>When the current run started (ms on the supervisor's clock).</summary>
    public long StartedAt { get; init; }

    /// <summary>When the next start is due, in <see cref="ServicePhase.Backoff"/>.</summary>
    public long NextStartAt { get; init; }

    /// <summary>When the stop signal went to the group, while cleaning up or stopping.</summary>
    public long? StopSentAt { get; init; }

    /// <summary>SIGKILL has been sent to the group.</summary>
    public bool Killed { get; init; }

    /// <summary>How the last run ended.</summary>
    public ExitStatus? LastExit { get; init; }

    /// <summary>Times of recent quick failures (runs shorter than the minimum uptime).</summary>
    public ImmutableArray<long> QuickFailures { get; init; } = [];

    /// <summary>How many times the service was started.</summary>
    public int Starts { get; init; }

    /// <summary>The phase to enter once cleanup of the group is done.</summary>
    public ServicePhase AfterCleanup { get; init; }

    /// <summary>The readiness check of the current run passed (always false for a service without a check: see <see cref="Reconciler.IsReady"/>).</summary>
    public bool Ready { get; init; }

    /// <summary>When the next readiness check is due (ms), while running and not ready yet.</summary>
    public long NextCheckAt { get; init; }

    /// <summary>When (ms) the next liveness check is due, once the run is ready; 0 until the first is planned.</summary>
    public long NextAliveAt { get; init; }

    /// <summary>Liveness checks of the current run that failed in a row.</summary>
    public int AliveFailures { get; init; }

    /// <summary>Why the last liveness check failed (connection refused, HTTP 500, a timeout, an exit code), while it does.</summary>
    public string? AliveReason { get; init; }

    /// <summary>A liveness check of the current run passed.</summary>
    public bool AlivePassed { get; init; }

    /// <summary>The current stop restarts the service because it is unhealthy (its liveness check failed too often).</summary>
    public bool Unhealthy { get; init; }

    /// <summary>Runs in a row restarted as unhealthy without ever passing a liveness check.</summary>
    public int NeverHealthy { get; init; }

    /// <summary>Spawns in a row that failed for want of descriptors or memory (EMFILE, ENFILE, EAGAIN, ENOMEM): retried with backoff, never a failure for good.</summary>
    public int SpawnShortages { get; init; }

    /// <summary>Why the service failed, when it did.</summary>
    public string? Reason { get; init; }

    /// <summary>For a scheduled task: its due times, runs and skips (<see cref="ScheduleRules"/>).</summary>
    public ScheduleState Schedule { get; init; } = ScheduleState.Initial;

    /// <summary>Restarts so far (starts after the first).</summary>
    public int Restarts => Math.Max(0, Starts - 1);

    internal bool IsDown => Phase is ServicePhase.Waiting or ServicePhase.Backoff or ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed or ServicePhase.Scheduled;
}
