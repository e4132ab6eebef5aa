using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tend.Testing;

/// <summary>Talking to the servers the tests start, on 127.0.0.1 only (shared by the test projects).</summary>
internal static class Loopback
{
    /// <summary>A port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The first bytes of an HTTP answer (its status line), or "no answer" after <paramref name="patience"/>.</summary>
    public static string Http(int port, double patience = 5) => Exchange(port, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", patience,
        all: false);

    /// <summary>A whole HTTP answer, headers and body.</summary>
    public static string HttpAll(int port, double patience = 5) => Exchange(port, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", patience,
        all: true);

    /// <summary>What a server says first (an SSH banner), or "no answer".</summary>
    public static string Banner(int port, double patience = 5) => Exchange(port, null, patience, all: false);

    private static string Exchange(int port, string? request, double patience, bool all)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                c.ReceiveTimeout = 3000;
                var s = c.GetStream();
                if (request is not null) s.Write(Encoding.ASCII.GetBytes(request));
                if (all) return new StreamReader(s).ReadToEnd();
                var buf = new byte[256];
                var n = s.Read(buf);
                if (n > 0) return Encoding.ASCII.GetString(buf, 0, n);
            }
            catch (Exception e) when (e is SocketException or IOException) { }
            if (sw.Elapsed.TotalSeconds > patience) return "no answer";
            Thread.Sleep(20);
        }
    }
}
