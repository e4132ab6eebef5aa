using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>Signals to Tend as PID 1 of a real PID namespace: SIGTERM stops every service (a second one at once),
/// SIGHUP is forwarded to each.</summary>
public class StopSignalProcessTests
{
    [Fact]
    public void Sigterm_stops_every_service_and_kills_the_one_that_ignores_it_at_its_timeout()
    {
        using var t = Start("--stop-timeout", "700ms",
            "sleep 1000",
            "sh -c 'trap \"\" TERM; echo ready; while :; do sleep 0.05; done'",
            "tail -f /dev/null");
        t.NextAll(("sleep", "started"), ("sh", "started"), ("tail", "started"));
        t.WaitForStdout("ready\n"); // sh set its trap: a SIGTERM before would end it at once
        var sw = Stopwatch.StartNew();
        t.Signal(Libc.SIGTERM);
        var code = t.WaitForExit();
        sw.Stop();
        Assert.Equal(0, code);
        var events = t.Events;
        var stoppedByTerm = events.Where(e => Str(e, "event") == "stopped" && Str(e, "signal") == "SIGTERM").Select(e => Str(e,
            "service")).ToHashSet();
        Assert.Contains("sleep", stoppedByTerm);
        Assert.Contains("tail", stoppedByTerm);
        Assert.Contains(events, e => Str(e, "service") == "sh" && Str(e, "event") == "killed");
        Assert.Contains(events, e => Str(e, "service") == "sh" && Str(e, "event") == "stopped" && Str(e, "signal") == "SIGKILL");
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(650), $"stopped after {sw.ElapsedMilliseconds} ms: before the stop timeout");
    }

    [Fact]
    public void A_second_sigterm_kills_at_once_instead_of_waiting_for_the_stop_timeout()
    {
        using var t = Start("--stop-timeout", "30s", "sh -c 'trap \"\" TERM; echo armed; while :; do sleep 0.05; done'");
        t.Next("sh", "started");
        t.WaitForStdout("armed\n");
        t.Signal(Libc.SIGTERM);
        t.Next("sh", "stopping");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit(10)); // well before the 30 s stop timeout

        Assert.Contains(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") == "stopped" && Str(e, "signal") == "SIGKILL");
    }

    [Fact]
    public void Sighup_is_forwarded_to_each_service()
    {
        using var t = Start("sh -c 'trap \"echo got-hup\" HUP; echo armed; while :; do sleep 0.05; done'");
        t.Next("sh", "started");
        t.WaitForStdout("armed\n"); // a HUP before the trap would end sh
        t.Signal(Libc.SIGHUP);
        var sw = Stopwatch.StartNew();
        while (!t.Stdout.Contains("got-hup") && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
        Assert.Contains("got-hup", t.Stdout);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "exited");
    }
}
