using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What Tend knows about one service at one moment; updated only through <see cref="Reconciler"/>.</summary>
internal sealed record ServiceRuntime
{
    /// <summary>The phase.</summary>
    public ServicePhase Phase { get; init; } = ServicePhase.Waiting;

    /// <summary>Which processes the current run is: its main process, launcher, mark and process groups (<see cref="Identity"/>).</summary>
    public RunIdentity Run { get; init; } = RunIdentity.None;

    /// <summary>The process that stands for the service while it runs (<see cref="RunIdentity.Main"/>).</summary>
    public TrackedProcess? Process { get => Run.Main; init => Run = Run with { Main = value }; }

    /// <summary>The process groups a stop reaches (<see cref="RunIdentity.Groups"/>).</summary>
    public ImmutableArray<int> Groups { get => Run.Groups; init => Run = Run with { Groups = value }; }

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

    /// <summary>The readiness check of the current run passed (always false for a service without a check: see
    /// <see cref="Reconciler.IsReady"/>).</summary>
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

    /// <summary>Spawns in a row that failed for want of descriptors or memory (EMFILE, ENFILE, EAGAIN, ENOMEM): retried with backoff, never
    /// a failure for good.</summary>
    public int SpawnShortages { get; init; }

    /// <summary>How the service's last readiness check ended, in this run or an earlier one (for <c>/metrics</c>), or null.</summary>
    public CheckOutcome? LastReadyCheck { get; init; }

    /// <summary>How the service's last liveness check ended, in this run or an earlier one (for <c>/metrics</c>), or null.</summary>
    public CheckOutcome? LastAliveCheck { get; init; }
    /// <summary>What the current run last said of itself with sd_notify's <c>STATUS=</c> (one line), or null.</summary>
    public string? NotifyStatus { get; init; }

    /// <summary>While it stops: the kill is not due before this (ms), as the service asked with sd_notify's <c>EXTEND_TIMEOUT_USEC=</c>; 0:
    /// not asked.</summary>
    public long StopExtendedUntil { get; init; }

    /// <summary>Why the service failed, when it did.</summary>
    public string? Reason { get; init; }

    /// <summary>For a scheduled task: its due times, runs and skips (<see cref="ScheduleRules"/>).</summary>
    public ScheduleState Schedule { get; init; } = ScheduleState.Initial;

    /// <summary>
    /// Restarts so far: starts after the first that were not a scheduled task's runs — by the restart policy after an exit
    /// (a start that failed to spawn included), after a failed liveness check or watchdog, or on request (<c>tend
    /// restart</c>, <c>tend start</c> after a stop). A scheduled task's runs (due, or <c>tend run</c>) are runs, never
    /// restarts: <see cref="Starts"/> counts every run.
    /// </summary>
    public int Restarts { get; init; }

    internal bool IsDown =>
        Phase is ServicePhase.Waiting or ServicePhase.Backoff or ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed or
        ServicePhase.Scheduled;
}

/// <summary>How one check ended: passed or not, and how long it took (seconds, from its start to its answer or timeout).</summary>
internal readonly record struct CheckOutcome(bool Passed, double Seconds);
