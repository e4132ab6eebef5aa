using System.Net;
using System.Net.Sockets;

namespace Tend.Tests.Export;

/// <summary><c>tend wait-for tcp:HOST:PORT</c>, the split layout's init container (a program with declared services: ApacheSsh): returns
/// once the address accepts.</summary>
public class WaitForTests
{
    [Fact]
    public void It_returns_0_once_the_address_accepts_resolving_names()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:localhost:{port}", $"tcp:127.0.0.1:{port}", "--timeout",
            "10s"]);
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

/// <summary><c>tend wait-for http://…</c> (an HTTP readiness check from another container) and <c>-- PROGRAM</c> (a Swarm task's
/// entrypoint).</summary>
public class WaitForHttpAndExecTests
{
    [Fact]
    public void An_http_address_answers_only_with_2xx_or_3xx()
    {
        using var server = new HttpResponder(failures: 2);
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"http://localhost:{server.Port}/ready", "--timeout", "20s"]);
        Assert.True(code == 0, err);
        // Two 503s were not an answer: it asked again until the third request got 200.
        Assert.Equal(3, server.Requests);
        Assert.Contains($"http://localhost:{server.Port}/ready answers", err);
    }

    [Fact]
    public void After_the_addresses_answer_it_becomes_the_program_after_the_double_dash()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        // exec, not a child: the program's parent is the test itself, and its exit code is wait-for's.
        var (code, output, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:127.0.0.1:{port}", "--", "sh", "-c",
            "echo parent=$PPID; exit 7"]);
        Assert.True(code == 7, err);
        Assert.Contains($"parent={Environment.ProcessId}", output);
    }

    [Fact]
    public void SIGPIPE_is_back_at_its_default_in_the_program()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        // The .NET runtime ignores SIGPIPE and an ignored signal stays ignored across exec: wait-for resets it,
        // so the shell dies of it (128+13) instead of carrying on.
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:127.0.0.1:{port}", "--", "sh", "-c",
            "kill -s PIPE $$; exit 0"]);
        Assert.True(code == 141, $"exit {code}: {err}");
    }

    [Fact]
    public void A_program_that_cannot_run_is_127_and_said()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["wait-for", $"tcp:127.0.0.1:{port}", "--", "/nonexistent/tend-x"]);
        Assert.Equal(127, code);
        Assert.Contains("cannot run '/nonexistent/tend-x': no such program", err);
    }

    [Theory]
    [InlineData(new[] { "wait-for", "http://web:8080/a b" }, "the path may hold no space")]
    [InlineData(new[] { "wait-for", "https://web/" }, "expected tcp:HOST:PORT or http://HOST:PORT/PATH")]
    [InlineData(new[] { "wait-for", "tcp:web:1", "--" }, "no program after it")]
    public void Bad_arguments_exit_2(string[] args, string message)
    {
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, args);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
