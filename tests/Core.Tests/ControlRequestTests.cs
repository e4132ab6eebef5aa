using System.Text;
using Tend.Control;

namespace Tend.Tests;

/// <summary>The request grammar of the control socket (docs/control.md), as a pure parser.</summary>
[Trait("Category", "Unit")]
public class ControlRequestTests
{
    private static ControlRequest? Parse(string line, out string? error) => ControlRequest.Parse(Encoding.UTF8.GetBytes(line), out error);

    [Theory]
    [InlineData("status", "status", null, 0, null)]
    [InlineData("status web", "status", "web", 0, null)]
    [InlineData("stop  web\t 2s", "stop", "web", 0, 2000)]
    [InlineData("start web", "start", "web", 0, null)]
    [InlineData("restart web 1m30s", "restart", "web", 0, 90000)]
    [InlineData("signal web HUP", "signal", "web", 1, null)]
    [InlineData("signal web SIGUSR1", "signal", "web", 10, null)]
    [InlineData("signal web 28", "signal", "web", 28, null)]
    [InlineData("health", "health", null, 0, null)]
    [InlineData("wait web 500ms", "wait", "web", 0, 500)]
    public void Parses_every_verb(string line, string verb, string? service, int signal, int? timeoutMs)
    {
        var r = Parse(line, out var error);
        Assert.Null(error);
        Assert.NotNull(r);
        Assert.Equal(verb, ControlVerbs.Of(r.Verb).Name);
        Assert.Equal(service, r.Service);
        Assert.Equal(signal, r.Signal);
        Assert.Equal(timeoutMs, r.Timeout is { } t ? (int)t.TotalMilliseconds : null);
        // What the client sends parses back to the same request.
        var again = Parse(r.ToString(), out _)!;
        Assert.Equal((r.Verb, r.Service, r.Signal, r.Timeout), (again.Verb, again.Service, again.Signal, again.Timeout));
    }

    [Theory]
    [InlineData("", "empty request")]
    [InlineData("   ", "empty request")]
    [InlineData("reboot", "unknown verb 'reboot': expected one of status, start, stop, restart, signal, health, wait")]
    [InlineData("health now", "'health' takes no arguments, got 1: health")]
    [InlineData("stop", "'stop' takes 1 to 2 arguments, got 0: stop NAME [TIMEOUT]")]
    [InlineData("signal web", "'signal' takes 2 arguments, got 1: signal NAME SIGNAL")]
    [InlineData("signal web SIGNOPE", "'SIGNOPE' is not a signal")]
    [InlineData("wait web soon", "'soon' is not a timeout: expected a duration")]
    [InlineData("wait web 0s", "'0s' is not a timeout")]
    [InlineData("stop \u0007web", "malformed request: control character U+0007")]
    public void Rejects_bad_requests_saying_what_is_wrong(string line, string expected)
    {
        Assert.Null(Parse(line, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Rejects_bytes_that_are_not_utf8()
    {
        Assert.Null(ControlRequest.Parse([0x73, 0xff, 0xfe], out var error));
        Assert.Equal("malformed request: not UTF-8 text", error);
    }
}
