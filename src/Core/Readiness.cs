using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Tend;

/// <summary>
/// When a running service counts as ready: its dependents start only then, and <c>tend health</c> and
/// <c>tend wait</c> ask for it. Checked every <see cref="Interval"/> from the start of each run until it passes
/// once; each attempt may take at most <see cref="Timeout"/>.
/// </summary>
/// <example><code>
/// public Readiness Ready => Readiness.Tcp(Port);
/// public Readiness Ready => Readiness.File("/run/app.pid") with { Interval = TimeSpan.FromMilliseconds(50) };
/// </code></example>
public sealed record Readiness
{
    private Readiness(ReadinessKind kind) => Kind = kind;

    /// <summary>What is checked.</summary>
    public ReadinessKind Kind { get; }

    /// <summary>For <see cref="ReadinessKind.Tcp"/> and <see cref="ReadinessKind.Http"/>: the address to connect to (an IP
    /// address).</summary>
    public IPAddress? Address { get; private init; }

    /// <summary>For <see cref="ReadinessKind.Tcp"/> and <see cref="ReadinessKind.Http"/>: the port.</summary>
    public int Port { get; private init; }

    /// <summary>For <see cref="ReadinessKind.Http"/>: the path requested (starts with <c>/</c>).</summary>
    public string? HttpPath { get; private init; }

    /// <summary>For <see cref="ReadinessKind.File"/>: the path that must exist.</summary>
    public string? Path { get; private init; }

    /// <summary>For <see cref="ReadinessKind.Command"/>: the command that must exit 0 (run without a shell, output discarded).</summary>
    public Command? Command { get; private init; }

    /// <summary>For <see cref="ReadinessKind.LogLine"/>: the regular expression (.NET syntax, matched without backtracking) a line must
    /// match.</summary>
    public string? Pattern { get; private init; }

    /// <summary>Time between attempts (default 100ms).</summary>
    public TimeSpan Interval { get; init; } = ServiceDefaults.ReadyIntervalValue;

    /// <summary>How long one attempt may take before it counts as failed (default 1s; a command is then killed).</summary>
    public TimeSpan Timeout { get; init; } = ServiceDefaults.CheckTimeoutValue;

    /// <summary>Ready once 127.0.0.1:<paramref name="port"/> accepts a connection.</summary>
    public static Readiness Tcp(int port) => Tcp(IPAddress.Loopback, port);

    /// <summary>Ready once <paramref name="address"/>:<paramref name="port"/> accepts a connection.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    public static Readiness Tcp(IPAddress address, int port)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is a number from 1 to 65535");
        return new Readiness(ReadinessKind.Tcp) { Address = address, Port = port };
    }

    /// <summary>Ready once <c>GET <paramref name="path"/></c> on 127.0.0.1:<paramref name="port"/> answers 2xx or 3xx.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Readiness Http(int port, string path = "/") => Http(IPAddress.Loopback, port, path);

    /// <summary>Ready once <c>GET <paramref name="path"/></c> on <paramref name="address"/>:<paramref name="port"/> answers 2xx or 3xx
    /// (HTTP/1.0, no redirect followed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    public static Readiness Http(IPAddress address, int port, string path = "/")
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is a number from 1 to 65535");
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Any(c => c <= ' ' || c == 0x7F))
            throw new ArgumentException($"'{path}' is not an HTTP path: it must start with '/' and hold no space or control character",
                nameof(path));
        return new Readiness(ReadinessKind.Http) { Address = address, Port = port, HttpPath = path };
    }

    /// <summary>Ready once <paramref name="path"/> exists.</summary>
    public static Readiness File(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new Readiness(ReadinessKind.File) { Path = path };
    }

    /// <summary>Ready once <paramref name="command"/> exits with code 0.</summary>
    public static Readiness Run(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new Readiness(ReadinessKind.Command) { Command = command };
    }

    /// <summary>
    /// Ready once the service sends <c>READY=1</c> to the datagram socket Tend gives it in <c>$NOTIFY_SOCKET</c>
    /// (sd_notify(3); systemd's <c>Type=notify</c>): PostgreSQL, MariaDB, <c>redis-server --supervised systemd</c>,
    /// <c>php-fpm</c> and Debian's <c>sshd</c> send it. Nothing is polled: <see cref="Interval"/> and
    /// <see cref="Timeout"/> are not used. Only messages from the run's own processes count (README, "Notify readiness
    /// and watchdogs").
    /// </summary>
    public static Readiness Notify { get; } = new(ReadinessKind.Notify);

    /// <summary>The check behind <see cref="Liveness.Watchdog"/>: <c>WATCHDOG=1</c> at least every <paramref name="deadline"/>.</summary>
    internal static Readiness WatchdogCheck(TimeSpan deadline) => new(ReadinessKind.Watchdog) { Interval = deadline };

    /// <summary>
    /// Ready once a line the service writes (stdout or stderr, in its current run) matches <paramref name="pattern"/>,
    /// a .NET regular expression run by the non-backtracking engine (<see cref="RegexOptions.NonBacktracking"/>: time linear
    /// in the line, so no pattern can stall Tend), against the first <see cref="Logging.ServiceLogs.MaxMatchedBytes"/>
    /// bytes of each line. The service's output goes through Tend's relay (it is kept, see README "Operating a
    /// container: logs"). Checked at compile time in declarations (TEND027).
    /// </summary>
    /// <example><c>public Readiness Ready => Readiness.LogLine("ready to accept connections");</c></example>
    /// <exception cref="ArgumentException">The pattern is empty, not a regular expression, or uses what the non-backtracking engine lacks
    /// (backreferences, lookarounds, atomic groups).</exception>
    public static Readiness LogLine(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (PatternProblem(pattern) is { } problem) throw new ArgumentException($"'{pattern}' is not a log-line pattern: {problem}",
            nameof(pattern));
        return new Readiness(ReadinessKind.LogLine) { Pattern = pattern };
    }

    /// <summary>What is wrong with <paramref name="pattern"/> as a log-line pattern, or null.</summary>
    internal static string? PatternProblem(string pattern)
    {
        try
        {
            _ = new Regex(pattern, LineOptions);
            return null;
        }
        catch (RegexParseException e)
        {
            // In words of its own: a trimmed Tend carries no resource strings (the runtime's message is only its key).
            var words = string.Concat(e.Error.ToString().Select((c,
                k) => k > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
            return $"{words} at offset {e.Offset}";
        }
        catch (ArgumentException e) { return Logging.PlainMessage.Of(e); }
        catch (NotSupportedException) { return NotSupported; }
    }

    /// <summary>Why the non-backtracking engine refuses a pattern that is a regular expression.</summary>
    internal const string NotSupported =
        "it uses what matching without backtracking cannot do (a backreference, a lookaround, an atomic group or a conditional): rewrite " +
            "it without";

    private const RegexOptions LineOptions = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    /// <summary>The regular expression of a <see cref="ReadinessKind.LogLine"/> check, each match bounded by
    /// <see cref="Timeout"/>.</summary>
    internal Regex? LineRegex() => Pattern is null ? null : new Regex(Pattern, LineOptions, Timeout);

    /// <summary>What <see cref="Parse"/> accepts.</summary>
    public const string Expected =
        "tcp:PORT, tcp:ADDRESS:PORT, http:PORT[/PATH], http://ADDRESS:PORT[/PATH], file:PATH, cmd:COMMAND LINE, log:REGEX or notify";

    /// <summary>
    /// Parses a check written on the command line: <c>tcp:8080</c>, <c>tcp:127.0.0.1:8080</c>, <c>tcp:[::1]:8080</c>,
    /// <c>http:8080/healthz</c>, <c>http://127.0.0.1:8080/healthz</c>, <c>file:/run/app.pid</c>, <c>cmd:pg_isready -q</c>,
    /// <c>notify</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is none of those forms; the message says what was expected.</exception>
    public static Readiness Parse(string text)
    {
        var colon = text.IndexOf(':');
        var kind = colon > 0 ? text[..colon] : text;
        var rest = colon > 0 ? text[(colon + 1)..] : "";
        switch (kind)
        {
            case "tcp":
                {
                    var (address, port) = Endpoint(rest, text);
                    return Tcp(address, port);
                }
            case "http":
                {
                    // http:PORT[/PATH], or a URL: http://ADDRESS:PORT[/PATH]
                    var url = rest.StartsWith("//", StringComparison.Ordinal);
                    var hostPart = url ? rest[2..] : rest;
                    var slash = hostPart.IndexOf('/');
                    var path = slash >= 0 ? hostPart[slash..] : "/";
                    // a fragment is the client's, never sent (RFC 9110, 4.2.4)
                    if (path.IndexOf('#') is >= 0 and var hash) path = path[..hash];
                    if (path.Any(c => c <= ' ' || c == 0x7F))
                        throw new FormatException($"'{path}' in '{text}' is not an HTTP path: it may hold no space or control character " +
                            $"(write a space as %20)");
                    hostPart = slash >= 0 ? hostPart[..slash] : hostPart;
                    if (url && !hostPart.Contains(':')) hostPart += ":80";
                    var (address, port) = Endpoint(hostPart, text);
                    return Http(address, port, path);
                }
            case "file" when rest.Length > 0:
                return File(rest);
            case "cmd" when !string.IsNullOrWhiteSpace(rest):
                return Run(Tend.Command.Parse(rest));
            case "notify" when colon < 0:
                return Notify;
            case "log" when rest.Length > 0:
                if (PatternProblem(rest) is { } problem)
                    throw new FormatException($"'{rest}' in '{text}' is not a regular expression Tend can match: {problem}");
                return LogLine(rest);
            default:
                throw new FormatException($"'{text}' is not a check: expected {Expected}");
        }
    }

    /// <summary>[ADDRESS:]PORT of a tcp: or http: check, as <c>127.0.0.1:8080</c>, <c>[::1]:8080</c>, <c>localhost:8080</c> or
    /// <c>8080</c>.</summary>
    private static (IPAddress Address, int Port) Endpoint(string rest, string text)
    {
        var address = IPAddress.Loopback;
        var portText = rest;
        var last = rest.LastIndexOf(':');
        if (last >= 0)
        {
            var host = rest[..last].TrimStart('[').TrimEnd(']');
            portText = rest[(last + 1)..];
            if (host == "localhost") address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(host, out address!))
                throw new FormatException($"'{host}' in '{text}' is not an IP address (names are not resolved: give 127.0.0.1, ::1 or " +
                    $"the container's address)");
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"'{portText}' in '{text}' is not a TCP port (a number from 1 to 65535)");
        return (address, port);
    }

    private string HostPort => Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}"
        : $"{Address}:{Port}";

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        ReadinessKind.Tcp => $"tcp:{HostPort}",
        ReadinessKind.Http => $"http://{HostPort}{HttpPath}",
        ReadinessKind.File => $"file:{Path}",
        ReadinessKind.Notify => "notify",
        ReadinessKind.Watchdog => $"watchdog:{Duration.Format(Interval)}",
        ReadinessKind.LogLine => $"log:{Pattern}",
        _ => $"cmd:{Command}",
    };
}
