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
/// means anything, and the connection closes after the answer. The path is percent-decoded (<see cref="DecodePath"/>);
/// raw UTF-8 bytes in it are taken too (RFC 9112 section 3.2 makes the target ASCII, but a client that sends a service's
/// name unencoded means the same name, and the bytes are checked as strictly as the decoded ones), not in the query.
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
        var question = target.IndexOf((byte)'?');
        var query = question < 0 ? ReadOnlySpan<byte>.Empty : target[(question + 1)..];
        if (!Ascii.IsValid(query)) return Refuse(out head, 400, "a byte that is not ASCII in the query: percent-encode it");
        if (DecodePath(question < 0 ? target : target[..question]) is not { } path)
            return Refuse(out head, 400, PathProblem);
        head = new HttpRequestHead(method, path, Encoding.ASCII.GetString(query), http10, accept);
        return HttpParse.Complete;
    }

    /// <summary>Why <see cref="DecodePath"/> refused a path, for a 400's body.</summary>
    internal const string PathProblem = "malformed path: a '%' must be followed by two hexadecimal digits, and the bytes it " +
        "encodes must be UTF-8 text without control characters (write 's%C3%A9rvice' or 'sérvice' for the name 'sérvice')";

    /// <summary>
    /// The path as text: percent-escapes decoded (RFC 3986 section 2.1: <c>%</c> and two hexadecimal digits, either
    /// case, one byte each), then the bytes read as UTF-8 (RFC 3986 section 2.5), so <c>/healthz/s%C3%A9rvice.sh</c>,
    /// <c>/healthz/huge%2Esh</c> and the raw bytes of <c>/healthz/sérvice.sh</c> name the services <c>sérvice.sh</c> and
    /// <c>huge.sh</c>. Null for a malformed escape, bytes that are not UTF-8, or a control character (decoded or not).
    /// </summary>
    internal static string? DecodePath(ReadOnlySpan<byte> raw)
    {
        var bytes = new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= raw.Length || HexValue(raw[i + 1]) is not (>= 0 and var high)
                    || HexValue(raw[i + 2]) is not (>= 0 and var low)) return null;
                b = (byte)(high << 4 | low);
                i += 2;
            }
            if (b is < 0x20 or 0x7f) return null;
            bytes[n++] = b;
        }
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, n); }
        catch (DecoderFallbackException) { return null; }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static HttpParse Refuse(out HttpRequestHead? head, int status, string problem)
    {
        head = new HttpRequestHead("", "", "", true, false) { Status = status, Problem = problem };
        return HttpParse.Refused;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>A prefix of a request line: a method token, then (once a space came) visible ASCII, bytes above 0x7f and spaces.</summary>
    private static bool CouldBeRequestLine(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return true;
        var space = data.IndexOf((byte)' ');
        if (space == 0) return false;
        if (!IsToken(space < 0 ? data : data[..space])) return false;
        if (space < 0) return true;
        foreach (var b in data[(space + 1)..])
            if (b is < 0x20 and not (byte)'\r' or 0x7f) return false;
        return true;
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, out string method, out ReadOnlySpan<byte> target, out bool http10,
        out int status, out string problem)
    {
        target = default;
        (method, http10, status, problem) = ("", false, 400, "malformed request line: expected METHOD /PATH HTTP/1.1");
        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last == first) return false;
        var m = line[..first];
        var t = line[(first + 1)..last];
        var v = line[(last + 1)..];
        if (!IsToken(m) || t.IsEmpty || t[0] != (byte)'/') return false;
        // Bytes above 0x7f are taken (a client that sends a service's name as raw UTF-8, not percent-encoded): the path
        // is decoded as strict UTF-8 afterwards, and a control character or DEL is refused.
        foreach (var b in t)
            if (b is <= 0x20 or 0x7f) return false;
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
        target = t;
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
