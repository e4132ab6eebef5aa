using System.Text;

namespace Tend.Http;

/// <summary>How far <see cref="HttpRequestHead.Parse"/> got with the bytes received so far.</summary>
internal enum HttpParse
{
    /// <summary>The head has not ended yet and nothing is wrong so far: read more.</summary>
    Incomplete,

    /// <summary>A whole, valid head.</summary>
    Complete,

    /// <summary>Not a request Tend serves: answer with <see cref="HttpRequestHead.Status"/> and close.</summary>
    Refused,
}

/// <summary>
/// The head of one HTTP/1.0 or HTTP/1.1 request (RFC 9112 sections 2–5): what the endpoint needs of it — the method,
/// the path, the query and whether the client takes OpenMetrics. A pure parser over the bytes received so far, bounded:
/// it never looks past <see cref="MaxHead"/> bytes, so a client cannot make Tend hold more.
/// </summary>
/// <remarks>
/// Lenient only where RFC 9112 allows a recipient to be (a bare LF ends a line, section 2.2); strict elsewhere: a
/// request line that is not <c>METHOD SP /TARGET SP HTTP/1.x</c> is a 400, a method other than GET or HEAD a 405, another
/// HTTP version a 505, a head longer than <see cref="MaxHead"/> a 414 (its request line) or 431 (its fields), a field
/// line without a colon or with whitespace before it a 400 (section 5.1). A body is never read: a GET has none that
/// means anything, and the connection closes after the answer.
/// </remarks>
internal sealed record HttpRequestHead(string Method, string Path, string Query, bool Http10, bool AcceptsOpenMetrics)
{
    /// <summary>The most bytes a request head may take, request line and fields (8 KiB, as nginx's default large_client_header_buffers
    /// line).</summary>
    public const int MaxHead = 8 * 1024;

    /// <summary>The most field lines a head may have.</summary>
    public const int MaxFields = 64;

    /// <summary>The status to answer a refused request with (400, 405, 414, 431, 505); 0 otherwise.</summary>
    public int Status { get; init; }

    /// <summary>Why it was refused, one line for the answer's body.</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// Parses what was received so far (the first <see cref="MaxHead"/> bytes at most are looked at). Incomplete until
    /// the empty line that ends the head; Refused with <paramref name="head"/>'s <see cref="Status"/> set as soon as
    /// the bytes cannot begin a request Tend serves, or the head is too long.
    /// </summary>
    public static HttpParse Parse(ReadOnlySpan<byte> received, out HttpRequestHead? head)
    {
        head = null;
        var data = received.Length > MaxHead ? received[..MaxHead] : received;
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            // The request line so far must still look like one: garbage is refused before it fills the buffer.
            if (!CouldBeRequestLine(data)) return Refuse(out head, 400, "not an HTTP request line");
            return received.Length >= MaxHead ? Refuse(out head, 414, $"request line longer than {MaxHead} bytes") : HttpParse.Incomplete;
        }
        if (!ParseRequestLine(TrimCr(data[..lineEnd]), out var method, out var target, out var http10, out var status, out var problem))
            return Refuse(out head, status, problem);
        var accept = false;
        var fields = 0;
        var at = lineEnd + 1;
        while (true)
        {
            var next = data[at..].IndexOf((byte)'\n');
            if (next < 0)
                return received.Length >= MaxHead ? Refuse(out head, 431,
                    $"request header fields longer than {MaxHead} bytes in all") : HttpParse.Incomplete;
            var line = TrimCr(data.Slice(at, next));
            at += next + 1;
            if (line.IsEmpty) break;
            if (++fields > MaxFields) return Refuse(out head, 431, $"more than {MaxFields} header fields");
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon])) return Refuse(out head, 400, "a header field without a name and colon");
            var value = line[(colon + 1)..].Trim(" \t"u8);
            foreach (var b in value)
                if (b is < 0x20 and not (byte)'\t' or 0x7f) return Refuse(out head, 400, "a control character in a header field");
            if (Ascii.EqualsIgnoreCase(line[..colon], "accept"u8) && Contains(value, "application/openmetrics-text"u8)) accept = true;
        }
        var question = target.IndexOf('?');
        head = new HttpRequestHead(method, question < 0 ? target : target[..question], question < 0 ? "" : target[(question + 1)..], http10,
            accept);
        return HttpParse.Complete;
    }

    private static HttpParse Refuse(out HttpRequestHead? head, int status, string problem)
    {
        head = new HttpRequestHead("", "", "", true, false) { Status = status, Problem = problem };
        return HttpParse.Refused;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>A prefix of a request line: a method token, then (once a space came) visible ASCII and spaces.</summary>
    private static bool CouldBeRequestLine(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return true;
        var space = data.IndexOf((byte)' ');
        if (space == 0) return false;
        if (!IsToken(space < 0 ? data : data[..space])) return false;
        if (space < 0) return true;
        foreach (var b in data[(space + 1)..])
            if (b is < 0x20 and not (byte)'\r' or >= 0x7f) return false;
        return true;
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out bool http10, out int status,
        out string problem)
    {
        (method, target, http10, status, problem) = ("", "", false, 400, "malformed request line: expected METHOD /PATH HTTP/1.1");
        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last == first) return false;
        var m = line[..first];
        var t = line[(first + 1)..last];
        var v = line[(last + 1)..];
        if (!IsToken(m) || t.IsEmpty || t[0] != (byte)'/') return false;
        foreach (var b in t)
            if (b is <= 0x20 or >= 0x7f) return false;
        if (v.SequenceEqual("HTTP/1.1"u8)) http10 = false;
        else if (v.SequenceEqual("HTTP/1.0"u8)) http10 = true;
        else if (v.StartsWith("HTTP/"u8))
        {
            (status, problem) = (505, "HTTP version not supported: speak HTTP/1.1 or HTTP/1.0");
            return false;
        }
        else return false;
        method = Encoding.ASCII.GetString(m);
        if (method is not ("GET" or "HEAD"))
        {
            (status, problem) = (405, "method not allowed: this endpoint only reads (GET, HEAD)");
            return false;
        }
        target = Encoding.ASCII.GetString(t);
        return true;
    }

    /// <summary>An RFC 9110 token (section 5.6.2): visible ASCII but delimiters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return false;
        foreach (var b in s)
            if (b is <= 0x20 or >= 0x7f || "\"(),/:;<=>?@[\\]{}"u8.Contains(b)) return false;
        return true;
    }

    private static bool Contains(ReadOnlySpan<byte> value, ReadOnlySpan<byte> what)
    {
        for (var i = 0; i + what.Length <= value.Length; i++)
            if (Ascii.EqualsIgnoreCase(value.Slice(i, what.Length), what)) return true;
        return false;
    }
}
