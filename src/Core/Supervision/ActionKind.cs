namespace Tend.Supervision;

/// <summary>The kind of effect the supervisor must carry out.</summary>
internal enum ActionKind
{
    /// <summary>Spawn the service's command.</summary>
    Start,
    /// <summary>Send a signal to the service's process group.</summary>
    Signal,
    /// <summary>Run one attempt of the service's readiness check.</summary>
    ReadyCheck,
    /// <summary>Run one attempt of the service's liveness check.</summary>
    AliveCheck,
}
