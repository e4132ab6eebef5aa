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
        return new ControlRequest(verb, service, signal, timeout);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>The request as a line (without the newline), as the client sends it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(ControlVerbs.Of(Verb).Name);
        if (Service is not null) sb.Append(' ').Append(Service);
        if (Verb == ControlVerb.Signal) sb.Append(' ').Append(Signals.Name(Signal));
        if (Timeout is { } t) sb.Append(' ').Append(Duration.Format(t));
        return sb.ToString();
    }
}
