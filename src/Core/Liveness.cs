using System.Net;

namespace Tend;

/// <summary>
/// When a running service counts as alive: checked every <see cref="Interval"/> once it is ready (or running, when it
/// has no readiness check); after <see cref="Failures"/> failures in a row it is unhealthy and restarted — its stop
/// signal to all its processes, SIGKILL after its stop timeout, start again — counted like a crash for backoff, and a
/// service whose runs never pass a check fails after its start limit of such restarts in a row. A success resets the
/// count. The same kinds of <see cref="Tend.Check"/> as <see cref="Readiness"/> but a log line and <c>notify</c>, and a
/// watchdog (after Kubernetes' livenessProbe and Docker's HEALTHCHECK, whose defaults these follow where they agree:
/// 10 s apart, 3 failures).
/// </summary>
/// <example><code>
/// public Liveness Alive => Liveness.Http(Port, "/healthz");
/// public Liveness Alive => Liveness.Tcp(5432) with { Interval = TimeSpan.FromSeconds(5), Failures = 2 };
/// </code></example>
public sealed record Liveness
{
    private Liveness(Check check) => Check = check;

    /// <summary>What is checked.</summary>
    public Check Check { get; }

    /// <summary>Time between checks (default 10 s); for <see cref="Watchdog"/>, the deadline.</summary>
    public TimeSpan Interval { get; init; } = ServiceDefaults.AliveIntervalValue;

    /// <summary>How long one check may take before it counts as failed (default 1 s; a command is then killed).</summary>
    public TimeSpan Timeout { get; init; } = ServiceDefaults.CheckTimeoutValue;

    /// <summary>Failures in a row after which the service is unhealthy and restarted (default 3).</summary>
    public int Failures { get; init; } = ServiceDefaults.AliveFailures;

    /// <summary>Alive while <paramref name="check"/> passes (such as a readiness's own: <c>Liveness.Of(Ready.Check)</c>).</summary>
    /// <exception cref="ArgumentNullException">The check is null.</exception>
    /// <exception cref="ArgumentException">The check is a log line or <c>notify</c>, which say once that a service is ready, or a
    /// watchdog, whose deadline only <see cref="Watchdog"/> gives.</exception>
    public static Liveness Of(Check check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check.Kind switch
        {
            CheckKind.LogLine => throw new ArgumentException("a log line says once that a service is ready, not that it is still alive: " +
                "give a tcp, http, file or command check", nameof(check)),
            CheckKind.Notify => throw new ArgumentException("'notify' is a readiness check: for liveness by sd_notify use " +
                "Liveness.Watchdog", nameof(check)),
            CheckKind.Watchdog => throw new ArgumentException("a watchdog's deadline is its liveness's: use Liveness.Watchdog",
                nameof(check)),
            _ => new Liveness(check),
        };
    }

    /// <summary>Alive while 127.0.0.1:<paramref name="port"/> accepts a connection. (A stopped process's socket still accepts until its
    /// backlog fills: prefer <see cref="Http(int, string)"/> to catch a hang.)</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    public static Liveness Tcp(int port) => new(Check.Tcp(IPAddress.Loopback, port));

    /// <summary>Alive while <paramref name="address"/>:<paramref name="port"/> accepts a connection.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    public static Liveness Tcp(IPAddress address, int port) => new(Check.Tcp(address, port));

    /// <summary>Alive while <c>GET <paramref name="path"/></c> on 127.0.0.1:<paramref name="port"/> answers 2xx or 3xx within the
    /// timeout.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Liveness Http(int port, string path = "/") => new(Check.Http(IPAddress.Loopback, port, path));

    /// <summary>Alive while <c>GET <paramref name="path"/></c> on <paramref name="address"/>:<paramref name="port"/> answers 2xx or 3xx
    /// within the timeout.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Liveness Http(IPAddress address, int port, string path = "/") => new(Check.Http(address, port, path));

    /// <summary>Alive while <paramref name="path"/> exists.</summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static Liveness File(string path) => new(Check.File(path));

    /// <summary>Alive while <paramref name="command"/> exits with code 0 within the timeout.</summary>
    public static Liveness Run(Command command) => new(Check.Run(command));

    /// <summary>
    /// Alive while the service sends <c>WATCHDOG=1</c> to <c>$NOTIFY_SOCKET</c> at least once every
    /// <paramref name="deadline"/> (sd_notify(3), sd_watchdog_enabled(3); systemd's <c>WatchdogSec=</c>). Tend sets
    /// <c>WATCHDOG_USEC</c> (µs) in the service's environment, so sd_watchdog_enabled() turns the pings on (they are
    /// usually sent every half deadline). A missed deadline restarts the service as unhealthy (stop signal and SIGCONT,
    /// counted like a crash): at most one <paramref name="deadline"/> after it was missed. <c>WATCHDOG=trigger</c> does so
    /// at once; <c>WATCHDOG_USEC=</c> from the service sets a new deadline for the run. Checked from readiness on.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The deadline is under 1 ms.</exception>
    public static Liveness Watchdog(TimeSpan deadline)
    {
        if (deadline < TimeSpan.FromMilliseconds(1)) throw new ArgumentOutOfRangeException(nameof(deadline), deadline,
            "a watchdog deadline is at least 1ms");
        return new(Check.Watchdog) { Interval = deadline, Failures = 1 };
    }

    /// <summary>What <see cref="Parse"/> accepts.</summary>
    internal const string Expected =
        "tcp:PORT, tcp:ADDRESS:PORT, http:PORT[/PATH], http://ADDRESS:PORT[/PATH], file:PATH, cmd:COMMAND LINE or watchdog:DURATION";

    /// <summary>The longest watchdog deadline Tend takes: 596h, the whole hours below 2^31 ms (ms in 32 bits).</summary>
    internal static readonly TimeSpan MaxWatchdog = TimeSpan.FromHours(596);

    /// <summary>Parses a check as <c>--alive</c> takes it: the forms of <see cref="Readiness.Parse"/> but <c>notify</c> and
    /// <c>log:</c>, and <c>watchdog:30s</c> (<see cref="Watchdog"/>); with the default interval, timeout and failures.</summary>
    /// <exception cref="FormatException">The text is no check; the message says what was expected.</exception>
    public static Liveness Parse(string text)
    {
        if (text.StartsWith("watchdog:", StringComparison.Ordinal))
        {
            var value = text["watchdog:".Length..];
            if (!Duration.TryParse(value, out var deadline) || deadline < TimeSpan.FromMilliseconds(1) || deadline > MaxWatchdog)
                throw new FormatException($"'{value}' in '{text}' is not a watchdog deadline: expected a duration from 1ms to " +
                    $"{Duration.Format(MaxWatchdog)} (about 24 days) in ms, s, m or h, such as 30s");
            return Watchdog(deadline);
        }
        if (text == "notify")
            throw new FormatException("'notify' is a readiness check: for liveness by sd_notify give watchdog:DURATION, such as " +
                "watchdog:30s");
        Check check;
        try { check = Check.Parse(text); }
        catch (FormatException) when (!text.Contains(':')) { throw new FormatException($"'{text}' is not a check: expected {Expected}"); }
        return check.Kind == CheckKind.LogLine
            ? throw new FormatException($"'{text}' is a log-line check, which says once that a service is ready, not that it is " +
                "still alive: give tcp:, http:, file:, cmd: or watchdog:")
            : new(check);
    }

    /// <summary>The check as <c>--alive</c> takes it (<see cref="Parse"/>): a watchdog with its deadline.</summary>
    public override string ToString() => Check.Kind == CheckKind.Watchdog ? $"watchdog:{Duration.Format(Interval)}" : Check.ToString();
}
