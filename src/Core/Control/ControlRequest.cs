using System.Text;

namespace Tend.Control;

/// <summary>
/// One parsed control request, and the slot its reply goes into. The connection's thread waits on the slot;
/// the supervisor's thread fills it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification =
    "ManualResetEventSlim needs disposing only once its WaitHandle was asked for, which nothing does; and the supervisor may answer " +
        "after the connection gave up, so it must never find it disposed.")]
internal sealed class ControlRequest
{
    private readonly ManualResetEventSlim _done = new();
    private string? _reply;

    /// <summary>Creates a request.</summary>
    public ControlRequest(ControlVerb verb, string? service = null, int signal = 0, TimeSpan? timeout = null)
    {
        Verb = verb;
        Service = service;
        Signal = signal;
        Timeout = timeout;
    }

    /// <summary>The verb.</summary>
    public ControlVerb Verb { get; }

    /// <summary>The service named, if the verb takes one.</summary>
    public string? Service { get; }

    /// <summary>For <see cref="ControlVerb.Signal"/>: the signal number.</summary>
    public int Signal { get; }

    /// <summary>For verbs that wait: how long, or null for the verb's default.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>For <see cref="ControlVerb.Logs"/>: the services named (none: every service).</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>For <see cref="ControlVerb.Logs"/>: follow (<c>-f</c>): stream what the services write from now on, until the client goes
    /// away.</summary>
    public bool Follow { get; init; }

    /// <summary>For <see cref="ControlVerb.Logs"/>: at most this many of the last lines kept (<c>-n</c>), or null for all.</summary>
    public int? Lines { get; init; }

    /// <summary>For <see cref="ControlVerb.Logs"/>: only lines read within this long before the request (<c>--since</c>), or
    /// null.</summary>
    public TimeSpan? Since { get; init; }

    /// <summary>For <see cref="ControlVerb.Status"/>: answer again at every change (<c>--watch</c>), until the client goes away.</summary>
    public bool Watch { get; init; }

    /// <summary>The answer is a stream of lines on the connection's own thread (<c>logs</c>, <c>status --watch</c>), not one reply of the
    /// supervisor's.</summary>
    public bool Streams => Verb == ControlVerb.Logs || Watch;

    /// <summary>Gives the reply (one JSON object); later calls are ignored.</summary>
    public void Answer(string json)
    {
        if (Interlocked.CompareExchange(ref _reply, json, null) is null) _done.Set();
    }

    /// <summary>Waits for the reply; null when none came in time.</summary>
    public string? WaitForReply(TimeSpan timeout) => _done.Wait(timeout) ? _reply : null;

    /// <summary>
    /// Parses one request line (without its newline): <c>VERB [ARGUMENT]…</c>, words separated by spaces. See
    /// docs/control.md for the grammar.
    /// </summary>
    /// <returns>The request, or null with <paramref name="error"/> saying what is wrong.</returns>
    public static ControlRequest? Parse(ReadOnlySpan<byte> line, out string? error)
    {
        error = null;
        string text;
        try { text = new UTF8Encoding(false, true).GetString(line); }
        catch (DecoderFallbackException)
        {
            error = "malformed request: not UTF-8 text";
            return null;
        }
        foreach (var c in text)
            if (char.IsControl(c) && c != '\t')
            {
                error =
                    $"malformed request: control character U+{(int)c:X4}; a request is one line of text such as 'status' or 'stop NAME'";
                return null;
            }
        var words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            error = "empty request: send a verb such as 'status'";
            return null;
        }
        if (ControlVerbs.Find(words[0]) is not { } info)
        {
            error = $"unknown verb '{Shorten(words[0])}': expected one of {ControlVerbs.Names}";
            return null;
        }
        var verb = info.Verb;
        if (verb == ControlVerb.Logs) return ParseLogs(words, out error);
        var watch = verb == ControlVerb.Status && words.Contains("--watch");
        if (watch) words = [.. words.Where(w => w != "--watch")];
        if (!info.Accepts(words.Length))
        {
            var (min, max) = (info.MinWords, info.MaxWords);
            var takes = min == max ? (min == 1 ? "no arguments" : $"{min - 1} argument{(min == 2 ? "" : "s")}")
                : $"{min - 1} to {max - 1} arguments";
            error = $"'{words[0]}' takes {takes}, got {words.Length - 1}: {info.Usage}";
            return null;
        }
        var service = words.Length > 1 ? words[1] : null;
        var signal = 0;
        TimeSpan? timeout = null;
        if (verb == ControlVerb.Signal && !Signals.TryParse(words[2], out signal))
        {
            error = $"'{Shorten(words[2])}' is not a signal: expected {Signals.Expected}";
            return null;
        }
        if (info.TakesTimeout && words.Length == 3)
        {
            if (!Duration.TryParse(words[2], out var t) || t <= TimeSpan.Zero)
            {
                error = $"'{Shorten(words[2])}' is not a timeout: expected {Duration.Expected}, more than zero";
                return null;
            }
            timeout = t;
        }
        return new ControlRequest(verb, service, signal, timeout) { Watch = watch };
    }

    /// <summary><c>logs [-f] [-n LINES] [--since DURATION] [NAME]…</c>.</summary>
    private static ControlRequest? ParseLogs(string[] words, out string? error)
    {
        error = null;
        var names = new List<string>();
        var (follow, lines, since) = (false, (int?)null, (TimeSpan?)null);
        for (var k = 1; k < words.Length; k++)
        {
            switch (words[k])
            {
                case "-f": follow = true; break;
                case "-n" when k + 1 < words.Length:
                    if (!int.TryParse(words[++k], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                        out var n))
                    {
                        error = $"'{Shorten(words[k])}' is not a number of lines: expected a whole number such as 20";
                        return null;
                    }
                    lines = n;
                    break;
                case "--since" when k + 1 < words.Length:
                    if (!Duration.TryParse(words[++k], out var d) || d <= TimeSpan.Zero)
                    {
                        error = $"'{Shorten(words[k])}' is not a duration for --since: expected {Duration.Expected}, more than zero";
                        return null;
                    }
                    since = d;
                    break;
                case var w when w.StartsWith('-'):
                    error = $"'logs' has no option '{Shorten(w)}' (or it lacks its value): {ControlVerbs.Of(ControlVerb.Logs).Usage}";
                    return null;
                case var w:
                    names.Add(w);
                    break;
            }
        }
        return new ControlRequest(ControlVerb.Logs) { Services = names, Follow = follow, Lines = lines, Since = since };
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>The request as a line (without the newline), as the client sends it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(ControlVerbs.Of(Verb).Name);
        if (Verb == ControlVerb.Logs)
        {
            if (Follow) sb.Append(" -f");
            if (Lines is { } n) sb.Append(" -n ").Append(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (Since is { } since) sb.Append(" --since ").Append(Duration.Format(since));
            foreach (var name in Services) sb.Append(' ').Append(name);
            return sb.ToString();
        }
        if (Service is not null) sb.Append(' ').Append(Service);
        if (Watch) sb.Append(" --watch");
        if (Verb == ControlVerb.Signal) sb.Append(' ').Append(Signals.Name(Signal));
        if (Timeout is { } t) sb.Append(' ').Append(Duration.Format(t));
        return sb.ToString();
    }
}
