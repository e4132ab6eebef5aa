using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Tend.Tests.Http;

/// <summary>A raw HTTP/1.1 client on a socket (the test sees exactly what Tend sends), and Tend's endpoint address from its log.</summary>
internal static partial class RawHttp
{
    public static (int Status, string Head, string Body) Get(int port, string target, string extra = "", double seconds = 15) =>
        Send(port, $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n", seconds);

    public static (int Status, string Head, string Body) Send(int port, string request, double seconds = 15) => Send(port,
        Encoding.Latin1.GetBytes(request), seconds);

    public static (int Status, string Head, string Body) Send(int port, byte[] request, double seconds = 15)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)(seconds * 1000),
            SendTimeout = (int)(seconds * 1000) };
        s.Connect(IPAddress.Loopback, port);
        try { s.Send(request); }
        catch (SocketException) { /* Tend answered and closed before the whole request was sent (a refusal): read the answer */ }
        var reply = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            int n;
            while ((n = s.Receive(buffer)) > 0) reply.Write(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && reply.Length > 0) { }
        var text = Encoding.UTF8.GetString(reply.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"not an HTTP answer: '{text}'");
        return (int.Parse(text[9..12]), text[..end], text[(end + 4)..]);
    }

    /// <summary>The port of the endpoint, from Tend's line "serving /healthz and /metrics on http://127.0.0.1:PORT".</summary>
    public static int Port(TendRun run)
    {
        var e = run.Next(e => TendRun.Str(e, "message")?.StartsWith("serving /healthz", StringComparison.Ordinal) == true, 20);
        return int.Parse(PortPattern().Match(TendRun.Str(e, "message")!).Groups[1].Value);
    }

    [GeneratedRegex(@":(\d+)$")]
    private static partial Regex PortPattern();
}
