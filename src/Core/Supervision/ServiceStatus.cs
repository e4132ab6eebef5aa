namespace Tend.Supervision;

/// <summary>One service as <c>tend status</c> shows it.</summary>
/// <param name="Name">The service's name.</param>
/// <param name="State">waiting, starting (running, not ready yet), running, cleaning, backoff, stopping, stopped, failed or completed.</param>
/// <param name="Pid">The tracked process, while there is one.</param>
/// <param name="UptimeMs">Time since the current run started, while running.</param>
/// <param name="Restarts">Starts after the first.</param>
/// <param name="LastExit">How the last run ended, if one did.</param>
/// <param name="Ready">Running and ready (see <see cref="Reconciler.IsReady"/>).</param>
/// <param name="Check">The readiness check, if any.</param>
/// <param name="Critical">Its failure ends Tend.</param>
/// <param name="Reason">Why it failed, when it did.</param>
public sealed record ServiceStatus(string Name, string State, int? Pid, long? UptimeMs, int Restarts, ExitStatus? LastExit, bool Ready, string? Check, bool Critical, string? Reason)
{
    /// <summary>For a scheduled task: its schedule (expression and zone).</summary>
    public string? Schedule { get; init; }

    /// <summary>For a scheduled task: when its last run started.</summary>
    public DateTimeOffset? LastRun { get; init; }

    /// <summary>For a scheduled task whose schedule is active: when its next run is due.</summary>
    public DateTimeOffset? NextDue { get; init; }

    /// <summary>The state name of a runtime.</summary>
    public static string StateOf(ServiceSpec spec, ServiceRuntime r) => r.Phase switch
    {
        ServicePhase.Running => Reconciler.IsReady(spec, r) ? "running" : "starting",
        var p => p.ToString().ToLowerInvariant(),
    };
}
