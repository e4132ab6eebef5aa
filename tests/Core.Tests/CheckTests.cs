using System.Net;

namespace Tend.Tests;

/// <summary>
/// <see cref="Check"/> is what a readiness or a liveness check looks at, whichever of the two holds it; how often and
/// how long is the holder's.
/// </summary>
[Trait("Category", "Unit")]
public class CheckTests
{
    [Theory]
    [InlineData("tcp:5432", CheckKind.Tcp)]
    [InlineData("tcp:[::1]:5432", CheckKind.Tcp)]
    [InlineData("http://10.0.0.2:8080/healthz", CheckKind.Http)]
    [InlineData("file:/run/app.pid", CheckKind.File)]
    public void Readiness_and_liveness_parse_a_check_to_the_same_target(string text, CheckKind kind)
    {
        var ready = Readiness.Parse(text);
        var alive = Liveness.Parse(text);
        Assert.Equal(kind, ready.Check.Kind);
        Assert.Equal(ready.Check, alive.Check);
        Assert.Equal(text.Replace("tcp:5432", "tcp:127.0.0.1:5432"), ready.ToString());
        Assert.Equal(ready.ToString(), alive.ToString());
        // The holders' own defaults: a readiness is tried often, a liveness seldom.
        Assert.Equal(TimeSpan.FromMilliseconds(100), ready.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), alive.Interval);
    }

    [Fact]
    public void The_factories_of_both_make_the_same_check()
    {
        var address = IPAddress.Parse("10.0.0.2");
        Assert.Equal(Readiness.Tcp(address, 80).Check, Liveness.Tcp(address, 80).Check);
        Assert.Equal(Readiness.Http(8080, "/healthz").Check, Liveness.Http(8080, "/healthz").Check);
        Assert.Equal(Readiness.File("/run/x").Check, Liveness.File("/run/x").Check);
        var command = new Command("/usr/bin/pg_isready", "-q");
        Assert.Same(command, Readiness.Run(command).Check.Command);
        Assert.Same(command, Liveness.Run(command).Check.Command);
        Assert.Equal("cmd:/usr/bin/pg_isready -q", Liveness.Run(command).ToString());
        // An interval of the readiness is not the check's: the same check under another timetable.
        var slow = Readiness.Tcp(80) with { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(2) };
        Assert.Equal(Readiness.Tcp(80).Check, slow.Check);
        Assert.NotEqual(Readiness.Tcp(80), slow);
    }

    [Fact]
    public void A_readiness_check_becomes_a_liveness_check_with_the_liveness_defaults()
    {
        var ready = Readiness.Http(8080, "/ready") with { Interval = TimeSpan.FromMilliseconds(20) };
        var alive = Liveness.Of(ready.Check);
        Assert.Same(ready.Check, alive.Check);
        Assert.Equal(TimeSpan.FromSeconds(10), alive.Interval);
        Assert.Equal(3, alive.Failures);
    }

    [Fact]
    public void Liveness_refuses_the_checks_that_say_once_that_a_service_is_ready()
    {
        Assert.Contains("a log line says once that a service is ready",
            Assert.Throws<ArgumentException>(() => Liveness.Of(Readiness.LogLine("ready").Check)).Message);
        Assert.Contains("'notify' is a readiness check",
            Assert.Throws<ArgumentException>(() => Liveness.Of(Readiness.Notify.Check)).Message);
        Assert.Contains("use Liveness.Watchdog",
            Assert.Throws<ArgumentException>(() => Liveness.Of(Liveness.Watchdog(TimeSpan.FromSeconds(30)).Check)).Message);
        Assert.Throws<ArgumentNullException>(() => Liveness.Of(null!));
    }

    [Fact]
    public void A_watchdog_deadline_is_its_liveness_interval()
    {
        var watchdog = Liveness.Watchdog(TimeSpan.FromSeconds(30));
        Assert.Equal(CheckKind.Watchdog, watchdog.Check.Kind);
        Assert.Equal("watchdog", watchdog.Check.ToString());
        Assert.Equal("watchdog:30s", watchdog.ToString());
        // Changed afterwards, the text follows what Tend enforces (WATCHDOG_USEC and the check are from the interval).
        Assert.Equal("watchdog:5s", (watchdog with { Interval = TimeSpan.FromSeconds(5) }).ToString());
    }
}
