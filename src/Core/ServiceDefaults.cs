namespace Tend;

/// <summary>
/// The defaults of a service's settings, written once. <see cref="ServiceAttribute"/>, <see cref="ServiceSpec"/> and
/// the command-line options read them here; the generator compiles this file too (it cannot reference Tend.dll at
/// run time) and emits only the settings a declaration gives, so a default never lands in generated code.
/// </summary>
internal static partial class ServiceDefaults
{
    /// <summary>Time between the stop signal and SIGKILL.</summary>
    public const string StopTimeout = "5s";

    /// <summary>After the main process died, how long what is left of its group gets before SIGKILL.</summary>
    public const string CleanupTimeout = "100ms";

    /// <summary>Delay before the second of a series of quick restarts.</summary>
    public const string Backoff = "100ms";

    /// <summary>The longest delay between quick restarts.</summary>
    public const string BackoffMax = "30s";

    /// <summary>A run shorter than this is a quick failure.</summary>
    public const string MinUptime = "1s";

    /// <summary>The window in which <see cref="StartLimit"/> counts.</summary>
    public const string StartWindow = "10s";

    /// <summary>More quick failures than this within <see cref="StartWindow"/> mark a service failed.</summary>
    public const int StartLimit = 5;

    /// <summary>Readiness checks: time between attempts.</summary>
    internal const string ReadyInterval = "100ms";

    /// <summary>Readiness and liveness checks: how long one attempt may take.</summary>
    internal const string CheckTimeout = "1s";

    /// <summary>Liveness checks: time between checks (Kubernetes' periodSeconds default).</summary>
    internal const string AliveInterval = "10s";

    /// <summary>Liveness checks: failures in a row that make a service unhealthy (Kubernetes' failureThreshold default).</summary>
    internal const int AliveFailures = 3;

    /// <summary>The signal that asks a service to stop.</summary>
    public const string StopSignal = "SIGTERM";
}
