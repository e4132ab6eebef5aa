using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Tend;

/// <summary>
/// What Tend looks at to tell that a service is ready or still alive: a TCP port, an HTTP path, a file, a command, a
/// line of its output, or what it says on <c>$NOTIFY_SOCKET</c>. Only the target: how often and how long is
/// <see cref="Readiness"/>'s or <see cref="Liveness"/>'s. Made by their factories (<see cref="Readiness.Tcp(int)"/>,
/// <see cref="Liveness.Http(int, string)"/>, …) and parsed from the <c>CHECK</c> of <c>--ready</c> and <c>--alive</c>.
/// </summary>
public sealed record Check
{
    private Check(CheckKind kind) => Kind = kind;

    /// <summary>What is checked.</summary>
    public CheckKind Kind { get; }

    /// <summary>For <see cref="CheckKind.Tcp"/> and <see cref="CheckKind.Http"/>: the address to connect to (an IP address).</summary>
    public IPAddress? Address { get; private init; }

    /// <summary>For <see cref="CheckKind.Tcp"/> and <see cref="CheckKind.Http"/>: the port.</summary>
    public int Port { get; private init; }

    /// <summary>For <see cref="CheckKind.Http"/>: the path requested (starts with <c>/</c>).</summary>
    public string? HttpPath { get; private init; }

    /// <summary>For <see cref="CheckKind.File"/>: the path that must exist.</summary>
    public string? Path { get; private init; }

    /// <summary>For <see cref="CheckKind.Command"/>: the command that must exit 0 (run without a shell, output discarded).</summary>
    public Command? Command { get; private init; }

    /// <summary>For <see cref="CheckKind.LogLine"/>: the regular expression (.NET syntax, matched without backtracking) a line must
    /// match.</summary>
    public string? Pattern { get; private init; }

    /// <summary>127.0.0.1:<paramref name="port"/>, or <paramref name="address"/>:<paramref name="port"/>, accepts a
    /// connection.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    internal static Check Tcp(IPAddress address, int port)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is a number from 1 to 65535");
        return new Check(CheckKind.Tcp) { Address = address, Port = port };
    }

    /// <summary><c>GET <paramref name="path"/></c> on <paramref name="address"/>:<paramref name="port"/> answers 2xx or 3xx
    /// (HTTP/1.0, no redirect followed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not within 1–65535.</exception>
    /// <exception cref="ArgumentException">The path does not start with '/' or holds a space or control character.</exception>
    internal static Check Http(IPAddress address, int port, string path)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is a number from 1 to 65535");
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Any(c => c <= ' ' || c == 0x7F))
            throw new ArgumentException($"'{path}' is not an HTTP path: it must start with '/' and hold no space or control character",
                nameof(path));
        return new Check(CheckKind.Http) { Address = address, Port = port, HttpPath = path };
    }

    /// <summary><paramref name="path"/> exists.</summary>
    /// <exception cref="ArgumentException">The path is empty or white space.</exception>
    internal static Check File(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new Check(CheckKind.File) { Path = path };
    }

    /// <summary><paramref name="command"/> exits with code 0.</summary>
    /// <exception cref="ArgumentNullException">The command is null.</exception>
    internal static Check Run(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new Check(CheckKind.Command) { Command = command };
    }

    /// <summary><c>READY=1</c> on <c>$NOTIFY_SOCKET</c> (<see cref="Readiness.Notify"/>).</summary>
    internal static Check Notify { get; } = new(CheckKind.Notify);

    /// <summary><c>WATCHDOG=1</c> on <c>$NOTIFY_SOCKET</c> (<see cref="Liveness.Watchdog"/>; the deadline is the liveness's
    /// interval).</summary>
    internal static Check Watchdog { get; } = new(CheckKind.Watchdog);

    /// <summary>A line of the service's output matches <paramref name="pattern"/> (<see cref="Readiness.LogLine"/>).</summary>
    /// <exception cref="ArgumentException">The pattern is empty, not a regular expression, or uses what the non-backtracking engine lacks
    /// (backreferences, lookarounds, atomic groups).</exception>
    internal static Check LogLine(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (PatternProblem(pattern) is { } problem) throw new ArgumentException($"'{pattern}' is not a log-line pattern: {problem}",
            nameof(pattern));
        return new Check(CheckKind.LogLine) { Pattern = pattern };
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

    /// <summary>The regular expression of a <see cref="CheckKind.LogLine"/> check, each match bounded by
    /// <paramref name="matchTimeout"/>; null for other kinds.</summary>
    internal Regex? LineRegex(TimeSpan matchTimeout) => Pattern is null ? null : new Regex(Pattern, LineOptions, matchTimeout);

    /// <summary>What <see cref="Parse"/> accepts.</summary>
    internal const string Expected =
        "tcp:PORT, tcp:ADDRESS:PORT, http:PORT[/PATH], http://ADDRESS:PORT[/PATH], file:PATH, cmd:COMMAND LINE, log:REGEX or notify";

    /// <summary>
    /// Parses a check written on the command line: <c>tcp:8080</c>, <c>tcp:127.0.0.1:8080</c>, <c>tcp:[::1]:8080</c>,
    /// <c>http:8080/healthz</c>, <c>http://127.0.0.1:8080/healthz</c>, <c>file:/run/app.pid</c>, <c>cmd:pg_isready -q</c>,
    /// <c>log:REGEX</c>, <c>notify</c>. (<c>watchdog:DURATION</c> is <see cref="Liveness.Parse"/>'s: its deadline is the
    /// liveness's interval.)
    /// </summary>
    /// <exception cref="FormatException">The text is none of those forms; the message says what was expected.</exception>
    internal static Check Parse(string text)
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

    /// <summary>The check as <c>--ready</c> takes it (<see cref="Parse"/>); a watchdog, whose deadline is not the check's,
    /// as <c>watchdog</c>.</summary>
    public override string ToString() => Kind switch
    {
        CheckKind.Tcp => $"tcp:{HostPort}",
        CheckKind.Http => $"http://{HostPort}{HttpPath}",
        CheckKind.File => $"file:{Path}",
        CheckKind.Notify => "notify",
        CheckKind.Watchdog => "watchdog",
        CheckKind.LogLine => $"log:{Pattern}",
        _ => $"cmd:{Command}",
    };
}
