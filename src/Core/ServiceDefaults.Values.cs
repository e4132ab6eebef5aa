namespace Tend;

// The typed forms of the defaults, for ServiceSpec and the command line (not compiled into the generator, which
// knows neither TimeSpan parsing at this level nor Tend's enums).
internal static partial class ServiceDefaults
{
    /// <summary>When to restart a service.</summary>
    public const Restart Restart = Tend.Restart.Always;

    /// <summary>Which processes a stop reaches.</summary>
    public const KillMode KillMode = Tend.KillMode.Lineage;

    internal static readonly TimeSpan ReadyIntervalValue = Parse(ReadyInterval);
    internal static readonly TimeSpan CheckTimeoutValue = Parse(CheckTimeout);
    internal static readonly TimeSpan AliveIntervalValue = Parse(AliveInterval);
    internal static readonly TimeSpan StopTimeoutValue = Parse(StopTimeout);
    internal static readonly TimeSpan CleanupTimeoutValue = Parse(CleanupTimeout);
    internal static readonly TimeSpan BackoffValue = Parse(Backoff);
    internal static readonly TimeSpan BackoffMaxValue = Parse(BackoffMax);
    internal static readonly TimeSpan MinUptimeValue = Parse(MinUptime);
    internal static readonly TimeSpan StartWindowValue = Parse(StartWindow);
    internal static readonly int StopSignalValue = Signals.TryParse(StopSignal,
        out var s) ? s : throw new InvalidOperationException(StopSignal);

    private static TimeSpan Parse(string text) => Duration.TryParse(text, out var d) ? d : throw new InvalidOperationException(text);
}
