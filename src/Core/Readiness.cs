using System.Net;
using System.Text.RegularExpressions;

namespace Tend;

/// <summary>
/// When a running service counts as ready: its dependents start only then, and <c>tend health</c> and
/// <c>tend wait</c> ask for it. Its <see cref="Check"/> is tried every <see cref="Interval"/> from the start of each
/// run until it passes once; each attempt may take at most <see cref="Timeout"/>.
/// </summary>
/// <example><code>
/// public Readiness Ready => Readiness.Tcp(Port);
/// public Readiness Ready => Readiness.File("/run/app.pid") with { Interval = TimeSpan.FromMilliseconds(50) };
/// </code></example>
public sealed record Readiness
{
    private Readiness(Check check) => Check = check;

    /// <summary>What is checked.</summary>
    public Check Check { get; }

    /// <summary>Time between attempts (default 100 ms).</summary>
    public TimeSpan Interval { get; init; } = ServiceDefaults.ReadyIntervalValue;

    /// <summary>How long one attempt may take before it counts as failed (default 1 s; a command is then killed).</summary>
    public TimeSpan Timeout { get; init; } = ServiceDefaults.CheckTimeoutValue;

    /// <summary>Ready once 127.0.0.1:<paramref name="port"/> accepts a connection.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    public static Readiness Tcp(int port) => Tcp(IPAddress.Loopback, port);

    /// <summary>Ready once <paramref name="address"/>:<paramref name="port"/> accepts a connection.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    public static Readiness Tcp(IPAddress address, int port) => new(Check.Tcp(address, port));

    /// <summary>Ready once <c>GET <paramref name="path"/></c> on 127.0.0.1:<paramref name="port"/> answers 2xx or 3xx.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Readiness Http(int port, string path = "/") => Http(IPAddress.Loopback, port, path);

    /// <summary>Ready once <c>GET <paramref name="path"/></c> on <paramref name="address"/>:<paramref name="port"/> answers 2xx or 3xx
    /// (HTTP/1.0, no redirect followed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Readiness Http(IPAddress address, int port, string path = "/") => new(Check.Http(address, port, path));

    /// <summary>Ready once <paramref name="path"/> exists.</summary>
    /// <exception cref="ArgumentException">The path is empty or white space.</exception>
    public static Readiness File(string path) => new(Check.File(path));

    /// <summary>Ready once <paramref name="command"/> exits with code 0.</summary>
    /// <exception cref="ArgumentNullException">The command is null.</exception>
    public static Readiness Run(Command command) => new(Check.Run(command));

    /// <summary>
    /// Ready once the service sends <c>READY=1</c> to the datagram socket Tend gives it in <c>$NOTIFY_SOCKET</c>
    /// (sd_notify(3); systemd's <c>Type=notify</c>): PostgreSQL, MariaDB, <c>redis-server --supervised systemd</c>,
    /// <c>php-fpm</c> and Debian's <c>sshd</c> send it. Nothing is polled: <see cref="Interval"/> and
    /// <see cref="Timeout"/> are not used. Only messages from the run's own processes count (README, "Notify readiness
    /// and watchdogs").
    /// </summary>
    public static Readiness Notify { get; } = new(Check.Notify);

    /// <summary>
    /// Ready once a line the service writes (stdout or stderr, in its current run) matches <paramref name="pattern"/>,
    /// a .NET regular expression run by the non-backtracking engine (<see cref="RegexOptions.NonBacktracking"/>: time linear
    /// in the line, so no pattern can stall Tend), against the first <see cref="Logging.ServiceLogs.MaxMatchedBytes"/>
    /// bytes of each line. The service's output goes through Tend's relay (it is kept, see README "Operating a
    /// container: logs"). Checked at compile time in declarations (TEND027). <see cref="Timeout"/> bounds each match.
    /// </summary>
    /// <example><c>public Readiness Ready => Readiness.LogLine("ready to accept connections");</c></example>
    /// <exception cref="ArgumentException">The pattern is empty, not a regular expression, or uses what the non-backtracking engine lacks
    /// (backreferences, lookarounds, atomic groups).</exception>
    public static Readiness LogLine(string pattern) => new(Check.LogLine(pattern));

    /// <summary>The regular expression of a <see cref="CheckKind.LogLine"/> check, each match bounded by
    /// <see cref="Timeout"/>; null for other kinds.</summary>
    internal Regex? LineRegex() => Check.LineRegex(Timeout);

    /// <summary>
    /// Parses a check as <c>--ready</c> takes it: <c>tcp:8080</c>, <c>tcp:127.0.0.1:8080</c>, <c>tcp:[::1]:8080</c>,
    /// <c>http:8080/healthz</c>, <c>http://127.0.0.1:8080/healthz</c>, <c>file:/run/app.pid</c>, <c>cmd:pg_isready -q</c>,
    /// <c>log:REGEX</c>, <c>notify</c>; with the default interval and timeout.
    /// </summary>
    /// <exception cref="FormatException">The text is none of those forms; the message says what was expected.</exception>
    public static Readiness Parse(string text) => new(Check.Parse(text));

    /// <summary>The check, as <c>--ready</c> takes it.</summary>
    public override string ToString() => Check.ToString();
}
