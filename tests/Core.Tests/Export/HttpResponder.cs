using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tend.Tests.Export;

/// <summary>
/// A tiny HTTP/1.0 server on 127.0.0.1 for the checks' clients: answers the first <c>failures</c> requests with 503,
/// every later one with 200 and <c>body</c>, and counts them. Ends its thread when disposed.
/// </summary>
internal sealed class HttpResponder : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Thread _thread;
    private int _requests;

    public HttpResponder(int failures, string body = "ok")
    {
        _listener.Start();
        _thread = new Thread(() =>
        {
            while (true)
            {
                TcpClient client;
                try { client = _listener.AcceptTcpClient(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; } // the listener was stopped
                using (client)
                {
                    try
                    {
                        client.ReceiveTimeout = 2000;
                        var stream = client.GetStream();
                        var buffer = new byte[4096];
                        var request = new StringBuilder();
                        while (!request.ToString().Contains("\r\n\r\n")
                            && stream.Read(buffer) is > 0 and var n) request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        var failing = Interlocked.Increment(ref _requests) <= failures;
                        var content = failing ? "not yet" : body;
                        stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.0 {(failing ? "503 Service Unavailable" : "200 " +
                            "OK")}\r\nContent-Length: {content.Length}\r\n\r\n{content}"));
                    }
                    catch (IOException) { } // a client that went away mid-request: the next one is answered
                }
            }
        }) { IsBackground = true };
        _thread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _listener.Stop();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
