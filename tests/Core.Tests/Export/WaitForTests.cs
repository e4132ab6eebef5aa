using System.Net;
using System.Net.Sockets;

namespace Tend.Tests.Export;

/// <summary><c>tend wait-for tcp:HOST:PORT</c>, the split layout's init container (a program with declared services: ApacheSsh): returns once the address accepts.</summary>
public class WaitForTests
{
    [Fact]
    public void It_returns_0_once_the_address_accepts_resolving_names()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:localhost:{port}", $"tcp:127.0.0.1:{port}", "--timeout", "10s"]);
        Assert.True(code == 0, err);
        Assert.Contains($"localhost:{port}, 127.0.0.1:{port} answer", err);
    }

    [Fact]
    public void It_waits_until_the_timeout_and_says_what_did_not_answer()
    {
        var port = Loopback.FreePort();
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:127.0.0.1:{port}", "--timeout=1500ms"]);
        Assert.Equal(1, code);
        Assert.Contains($"tend: waiting for 127.0.0.1:{port}", err);
        Assert.Contains($"127.0.0.1:{port} did not answer within 1500ms", err);
    }

    [Theory]
    [InlineData(new[] { "wait-for" }, "wait-for needs an address")]
    [InlineData(new[] { "wait-for", "web:8080" }, "expected tcp:HOST:PORT")]
    [InlineData(new[] { "wait-for", "tcp:web:http" }, "expected tcp:HOST:PORT")]
    [InlineData(new[] { "wait-for", "tcp:web:1", "--timeout", "soon" }, "option '--timeout' got 'soon'")]
    public void Bad_arguments_exit_2(string[] args, string message)
    {
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, args);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
