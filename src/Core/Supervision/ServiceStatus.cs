namespace Tend.Supervision;

/// <summary>One service as <c>tend status</c> shows it.</summary>
/// <param name="Name">The service's name.</param>
/// <param name="State">One of <see cref="States"/>: <see cref="StateOf"/> names each phase (starting: running, not ready yet).</param>
/// <param name="Pid">The tracked process, while there is one.</param>
/// <param name="UptimeMs">Time since the current run started, while running.</param>
/// <param name="Restarts">Starts after the first, a scheduled task's runs not counted (<see cref="ServiceRuntime.Restarts"/>).</param>
/// <param name="LastExit">How the last run ended, if one did.</param>
/// <param name="Ready">Running and ready (see <see cref="Reconciler.IsReady"/>).</param>
/// <param name="Check">The readiness check, if any.</param>
/// <param name="Critical">Its failure ends Tend.</param>
/// <param name="Reason">Why it failed, when it did.</param>
/// <param name="Health">With a liveness check: healthy, failing (failed fewer times in a row than its threshold), unhealthy
/// (being restarted for it), or unknown (not checked yet in this run); null without one.</param>
/// <param name="HealthReason">Why the last liveness check failed, while it does.</param>
internal sealed record ServiceStatus(string Name, string State, int? Pid, long? UptimeMs, int Restarts, ExitStatus? LastExit, bool Ready,
    string? Check, bool Critical, string? Reason,
    string? Health = null, string? HealthReason = null)
{
    /// <summary>The health of a service with a liveness check (see <see cref="Health"/>), or null.</summary>
    public static string? HealthOf(ServiceSpec spec, ServiceRuntime r) =>
        spec.Alive is null ? null
        : r.Unhealthy ? "unhealthy"
        : r.Phase != ServicePhase.Running ? null
        : r.AliveFailures > 0 ? "failing"
        : r.AlivePassed ? "healthy"
        : "unknown";

    /// <summary>While it runs: what its processes use (memory, CPU), read from /proc for this status; null otherwise.</summary>
    public ServiceUsage? Usage { get; init; }
    /// <summary>What the service last said of itself with sd_notify's <c>STATUS=</c>, or null.</summary>
    public string? NotifyStatus { get; init; }

    /// <summary>Runs started so far, every kind: the first, restarts, a scheduled task's runs
    /// (<see cref="ServiceRuntime.Starts"/>).</summary>
    public int Runs { get; init; }

    /// <summary>For a scheduled task: its schedule (expression and zone).</summary>
    public string? Schedule { get; init; }

    /// <summary>For a scheduled task: when its last run started.</summary>
    public DateTimeOffset? LastRun { get; init; }

    /// <summary>For a scheduled task whose schedule is active: when its next run is due.</summary>
    public DateTimeOffset? NextDue { get; init; }

    /// <summary>
    /// Every state name <c>tend status</c> and its JSON write: a protocol, so spelled out here rather than taken from
    /// the names of <see cref="ServicePhase"/>'s members (renaming one must not change what clients read).
    /// </summary>
    public static IReadOnlyList<string> States { get; } =
        ["waiting", "starting", "running", "cleaning", "backoff", "stopping", "stopped", "failed", "completed", "scheduled"];

    /// <summary>The state name of a runtime (one of <see cref="States"/>).</summary>
    public static string StateOf(ServiceSpec spec, ServiceRuntime r) => r.Phase switch
    {
        ServicePhase.Running => Reconciler.IsReady(spec, r) ? "running" : "starting",
        var p => StateName(p),
    };

    /// <summary>The wire name of a phase (Running is "running"; <see cref="StateOf"/> tells "starting" from it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A phase with no wire name.</exception>
    public static string StateName(ServicePhase phase) => phase switch
    {
        ServicePhase.Waiting => "waiting",
        ServicePhase.Running => "running",
        ServicePhase.Cleaning => "cleaning",
        ServicePhase.Backoff => "backoff",
        ServicePhase.Stopping => "stopping",
        ServicePhase.Stopped => "stopped",
        ServicePhase.Failed => "failed",
        ServicePhase.Completed => "completed",
        ServicePhase.Scheduled => "scheduled",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "a service phase with no wire name"),
    };
}
