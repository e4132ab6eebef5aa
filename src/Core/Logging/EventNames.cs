namespace Tend.Logging;

/// <summary>
/// The <c>event</c> of every line Tend writes about a service: the one home of these names, used by the log calls,
/// the README's list (checked by a test) and the tests.
/// </summary>
internal static class EventNames
{
    /// <summary>A run began: Tend spawned the service's command.</summary>
    public const string Started = "started";
    /// <summary>Its readiness check passed.</summary>
    public const string Ready = "ready";
    /// <summary>Its main process ended.</summary>
    public const string Exited = "exited";
    /// <summary>A launcher handed over to a daemon of its lineage.</summary>
    public const string Daemonized = "daemonized";
    /// <summary>A process already running was taken over instead of starting another.</summary>
    public const string Adopted = "adopted";
    /// <summary>Its stop signal was sent.</summary>
    public const string Stopping = "stopping";
    /// <summary>SIGKILL was sent after the stop timeout.</summary>
    public const string Killed = "killed";
    /// <summary>A signal could not be sent.</summary>
    public const string SignalError = "signal-error";
    /// <summary>Every process of it ended after a stop.</summary>
    public const string Stopped = "stopped";
    /// <summary>Given up on (restart policy, start limit, failed dependency).</summary>
    public const string Failed = "failed";
    /// <summary>Ran to completion.</summary>
    public const string Completed = "completed";
    /// <summary>Waiting out the delay before the next start.</summary>
    public const string Backoff = "backoff";
    /// <summary>Its command could not be spawned.</summary>
    public const string SpawnError = "spawn-error";
    /// <summary>Its readiness check could not be run.</summary>
    public const string CheckError = "check-error";
    /// <summary>A liveness check failed, fewer times in a row than its threshold.</summary>
    public const string CheckFailed = "check-failed";
    /// <summary>Its liveness check failed its threshold of times in a row: it is restarted.</summary>
    public const string Unhealthy = "unhealthy";
    /// <summary>Its liveness check passed again after failures.</summary>
    public const string Healthy = "healthy";
    /// <summary>A signal was sent to it on request (<c>tend signal</c>).</summary>
    public const string Signalled = "signalled";
    /// <summary><c>tend stop</c> asked for it.</summary>
    public const string StopRequested = "stop-requested";
    /// <summary><c>tend start</c> asked for it.</summary>
    public const string StartRequested = "start-requested";
    /// <summary><c>tend restart</c> asked for it.</summary>
    public const string RestartRequested = "restart-requested";
    /// <summary>A scheduled task's next run is due at the time the message gives.</summary>
    public const string Scheduled = "scheduled";
    /// <summary>A scheduled task's due time passed without a run: the previous run still ran (or a dependency was not up).</summary>
    public const string Skipped = "skipped";
    /// <summary><c>tend run</c> asked for one run of a scheduled task now.</summary>
    public const string RunRequested = "run-requested";
    /// <summary>A service waits for a dependency that failed: it starts once that dependency is started again by hand.</summary>
    public const string Blocked = "blocked";

    /// <summary>The service said something with sd_notify (STATUS=, RELOADING=1, STOPPING=1, ERRNO=, MAINPID=…): the message says
    /// what.</summary>
    public const string Notified = "notified";

    /// <summary>Every service event, in the order the README lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Started, Ready, Exited, Daemonized, Adopted, Stopping, Killed, SignalError, Stopped, Failed, Completed, Backoff,
        SpawnError, CheckError, CheckFailed, Unhealthy, Healthy, Signalled, StopRequested, StartRequested, RestartRequested, Scheduled,
            Skipped, RunRequested, Notified, Blocked,
    ];
}
