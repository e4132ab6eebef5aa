namespace Tend.Control;

/// <summary>The control verbs.</summary>
internal enum ControlVerb
{
    /// <summary>Every service, or one: state, pid, uptime, restarts, last exit.</summary>
    Status,
    /// <summary>Start a stopped (or failed) service; answers once it is ready.</summary>
    Start,
    /// <summary>Stop a service until it is started again; answers once it stopped.</summary>
    Stop,
    /// <summary>Stop a service and start it again; answers once the new run is ready.</summary>
    Restart,
    /// <summary>Send a signal to a running service's process group.</summary>
    Signal,
    /// <summary>Whether every service is up: running and ready, or completed (<see cref="ControlDecisions.Health"/>).</summary>
    Health,
    /// <summary>Wait until a service is ready.</summary>
    Wait,
    /// <summary>Start one run of a scheduled task now.</summary>
    Run,
    /// <summary>The services' recent output (their log rings), and with <c>-f</c> what they write from then on.</summary>
    Logs,
}
