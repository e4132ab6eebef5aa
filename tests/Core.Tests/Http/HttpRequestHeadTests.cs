using System.Text;
using CsCheck;
using Tend.Http;

namespace Tend.Tests.Http;

/// <summary>The HTTP request parser: examples, then properties over random and hostile bytes (CsCheck).</summary>
[Trait("Category", "Unit")]
public class HttpRequestHeadTests
{
    private static (HttpParse Result, HttpRequestHead? Head) Parse(string text) =>
        (HttpRequestHead.Parse(Encoding.Latin1.GetBytes(text), out var head), head);

    [Theory]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/healthz", "", false)]
    [InlineData("HEAD /healthz/web?level=alive HTTP/1.0\r\n\r\n", "HEAD", "/healthz/web", "level=alive", true)]
    [InlineData("GET /metrics HTTP/1.1\nAccept: text/plain\n\n", "GET", "/metrics", "", false)] // bare LF (RFC 9112 2.2)
    public void A_whole_request_is_parsed(string text, string method, string path, string query, bool http10)
    {
        var (result, head) = Parse(text);
        Assert.Equal(HttpParse.Complete, result);
        Assert.Equal((method, path, query, http10), (head!.Method, head.Path, head.Query, head.Http10));
    }

    [Fact]
    public void Accept_asking_for_OpenMetrics_is_seen_in_any_case()
    {
        Assert.True(Parse("GET /metrics HTTP/1.1\r\nACCEPT: application/OpenMetrics-text;version=1.0.0,text/plain;q=0.5\r\n" +
            "\r\n").Head!.AcceptsOpenMetrics);
        Assert.False(Parse("GET /metrics HTTP/1.1\r\nAccept: text/plain\r\n\r\n").Head!.AcceptsOpenMetrics);
    }

    [Theory]
    [InlineData("POST /metrics HTTP/1.1\r\n\r\n", 405)]
    [InlineData("DELETE /healthz HTTP/1.1\r\n\r\n", 405)]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", 505)]
    [InlineData("GET metrics HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET http://x/metrics HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /metrics\r\n\r\n", 400)]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400)] // a TLS ClientHello
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\n : empty name\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\nName : space before colon\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400)]
    public void What_is_not_a_request_Tend_serves_is_refused_with_its_status(string text, int status)
    {
        var (result, head) = Parse(text);
        Assert.Equal(HttpParse.Refused, result);
        Assert.Equal(status, head!.Status);
        Assert.False(string.IsNullOrEmpty(head.Problem));
    }

    [Fact]
    public void Garbage_is_refused_before_the_buffer_fills()
    {
        var (result, head) = Parse("\0\0\0\0");
        Assert.Equal(HttpParse.Refused, result);
        Assert.Equal(400, head!.Status);
    }

    /// <summary>The path is percent-decoded (RFC 3986, UTF-8, hex digits of either case) and raw UTF-8 is the same name;
    /// nothing lowercases it.</summary>
    [Theory]
    [InlineData("/healthz/s%C3%A9rvice.sh", "/healthz/sérvice.sh")]
    [InlineData("/healthz/s%c3%a9rvice.sh", "/healthz/sérvice.sh")]
    [InlineData("/healthz/huge%2Esh", "/healthz/huge.sh")]
    [InlineData("/healthz/sérvice.sh", "/healthz/sérvice.sh")] // raw UTF-8 bytes, as some clients send them
    [InlineData("/healthz/Web%20Server", "/healthz/Web Server")]
    [InlineData("/healthz/%25", "/healthz/%")]
    [InlineData("/%68ealthz", "/healthz")]
    public void The_path_is_percent_decoded_as_UTF8(string target, string path)
    {
        var bytes = Encoding.UTF8.GetBytes($"GET {target}?level=alive HTTP/1.1\r\n\r\n");
        Assert.Equal(HttpParse.Complete, HttpRequestHead.Parse(bytes, out var head));
        Assert.Equal((path, "level=alive"), (head!.Path, head.Query));
    }

    /// <summary>A malformed escape, bytes that are not UTF-8 (raw or escaped) and control characters are a 400 that says
    /// what is wrong.</summary>
    [Theory]
    [InlineData("/healthz/a%")]
    [InlineData("/healthz/a%4")]
    [InlineData("/healthz/a%G1")]
    [InlineData("/healthz/%C3")] // a lone lead byte
    [InlineData("/healthz/%C3%28")] // not a continuation byte
    [InlineData("/healthz/%FF")]
    [InlineData("/healthz/%C0%AF")] // an overlong '/'
    [InlineData("/healthz/a%00b")]
    [InlineData("/healthz/a%0Ab")]
    [InlineData("/healthz/a%7Fb")]
    public void A_malformed_escape_or_bytes_that_are_not_UTF8_are_400(string target)
    {
        var bytes = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\n\r\n");
        Assert.Equal(HttpParse.Refused, HttpRequestHead.Parse(bytes, out var head));
        Assert.Equal((400, HttpRequestHead.PathProblem), (head!.Status, head.Problem));
    }

    [Fact]
    public void Raw_bytes_that_are_not_UTF8_or_not_ASCII_in_the_query_are_400()
    {
        byte[] raw = [.. "GET /healthz/s"u8, 0xE9, .. "rvice HTTP/1.1\r\n\r\n"u8]; // Latin-1 'é'
        Assert.Equal(HttpParse.Refused, HttpRequestHead.Parse(raw, out var head));
        Assert.Equal(HttpRequestHead.PathProblem, head!.Problem);
        Assert.Equal(HttpParse.Refused, HttpRequestHead.Parse(Encoding.UTF8.GetBytes("GET /healthz?level=é HTTP/1.1\r\n\r\n"), out head));
        Assert.Equal(400, head!.Status);
        Assert.Contains("query", head.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_line_longer_than_the_bound_is_414_and_fields_longer_are_431()
    {
        var longLine = "GET /" + new string('a', HttpRequestHead.MaxHead);
        Assert.Equal(414, Parse(longLine).Head!.Status);
        var longField = "GET /metrics HTTP/1.1\r\nX-Big: " + new string('b', 64 * 1024);
        Assert.Equal(431, Parse(longField).Head!.Status);
        var many = "GET /metrics HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0,
            HttpRequestHead.MaxFields + 1).Select(i => $"X-{i}: y\r\n")) + "\r\n";
        Assert.Equal(431, Parse(many).Head!.Status);
    }

    /// <summary>Any bytes: the parser never throws, and refuses only with the statuses it documents.</summary>
    [Fact]
    public void Random_bytes_never_throw_and_get_a_documented_status()
    {
        Gen.Byte.Array[0, 3 * HttpRequestHead.MaxHead / 2].Sample(bytes =>
        {
            var result = HttpRequestHead.Parse(bytes, out var head);
            return result switch
            {
                HttpParse.Incomplete => head is null && bytes.Length < HttpRequestHead.MaxHead,
                HttpParse.Refused => head is { Status: 400 or 405 or 414 or 431 or 505 },
                _ => head is { Status: 0, Method: "GET" or "HEAD" } && head.Path.StartsWith('/'),
            };
        }, iter: 20_000);
    }

    private static readonly Gen<string> Token = Gen.Char["a-zA-Z0-9-"].Array[1, 12].Select(c => new string(c));

    /// <summary>A valid request cut anywhere is incomplete until its last byte, and then it is the same request.</summary>
    [Fact]
    public void A_valid_request_cut_anywhere_is_incomplete_until_it_ends()
    {
        var request = Gen.Select(Gen.Bool.Select(b => b ? "GET" : "HEAD"), Token, Token.Array[0, 6], Gen.Bool, Gen.Bool);
        request.Sample((method, path, fields, http10, crlf) =>
        {
            var eol = crlf ? "\r\n" : "\n";
            var text =
                $"{method} /{path}?level=ready HTTP/1.{(http10 ? 0 : 1)}{eol}{string.Concat(fields.Select(f => $"{f}: v {f}{eol}"))}{eol}";
            var bytes = Encoding.ASCII.GetBytes(text);
            for (var cut = 0; cut < bytes.Length; cut++)
                if (HttpRequestHead.Parse(bytes.AsSpan(0, cut), out _) != HttpParse.Incomplete) return false;
            return HttpRequestHead.Parse(bytes,
                out var head) == HttpParse.Complete && head!.Method == method && head.Path == "/" + path && head.Query == "level=ready"
                && head.Http10 == http10;
        }, iter: 2_000);
    }

    /// <summary>Hostile mutations of a valid request (a byte changed, inserted or removed): never a throw, never a method other than
    /// GET/HEAD accepted.</summary>
    [Fact]
    public void Mutated_requests_never_throw()
    {
        var valid = Encoding.ASCII.GetBytes("GET /healthz/web?level=alive HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, 2]).Array[1, 8].Sample(edits =>
        {
            var bytes = valid.ToList();
            foreach (var (at, b, kind) in edits)
            {
                var i = Math.Min(at, bytes.Count - 1);
                if (i < 0) break;
                if (kind == 0) bytes[i] = b;
                else if (kind == 1) bytes.Insert(i, b);
                else bytes.RemoveAt(i);
            }
            var result = HttpRequestHead.Parse(bytes.ToArray(), out var head);
            return result != HttpParse.Complete || head!.Method is "GET" or "HEAD";
        }, iter: 20_000);
    }
}
