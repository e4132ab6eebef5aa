using System.Diagnostics;
using Tend.Arguments;
using Tend.Export;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Tests.Export;

/// <summary>
/// The drain step (<c>--orchestrated --drain-delay D</c>): at SIGTERM Tend turns not ready, stays up for the delay
/// while the orchestrator removes the endpoints, then stops the services in reverse dependency order.
/// </summary>
public class DrainTests
{
    [Fact]
    [Trait("Category", "Unit")]
    public void The_first_stop_signal_begins_it_and_a_second_ends_it()
    {
        var drain = new Drain(TimeSpan.FromMilliseconds(500));
        Assert.Equal(long.MaxValue, drain.DueAt);
        Assert.True(drain.Begin(1000));
        Assert.Equal(1500, drain.DueAt);
        Assert.False(drain.Ended(1499));
        Assert.False(drain.Begin(1200)); // a second signal: stop now
        Assert.True(drain.Ended(1500));
        Assert.False(drain.Ended(1600)); // once
        Assert.Equal(long.MaxValue, drain.DueAt);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void It_is_one_of_Tends_own_flags_and_off_by_default()
    {
        Assert.Null(HostOptions.Parse(["sleep 1"]).Supervisor.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), HostOptions.Parse(["--drain-delay", "5s", "sleep 1"]).Supervisor.DrainDelay);
        Assert.Contains("'--drain-delay' got 'soon'", Assert.Throws<UsageException>(() => HostOptions.Parse(["--drain-delay", "soon",
            "sleep 1"])).Message);
    }

    [Fact]
    public void Export_carries_it_to_the_regular_containers_and_adds_it_to_the_grace_period()
    {
        var yaml = Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", "x:1", "--layout", "split", "--drain-delay", "5s");
        var objects = k8s.KubernetesYaml.LoadAllFromString(yaml, strict: true);
        var web = objects.OfType<k8s.Models.V1Deployment>().Single(d => d.Metadata.Name.EndsWith("-web")).Spec.Template.Spec;
        Assert.Equal(["--orchestrated", "--only", "web", "--drain-delay", "5s"], Assert.Single(web.Containers).Args);
        Assert.Equal(5 + 12, web.TerminationGracePeriodSeconds); // the drain, then web's stop (5 s twice, and 2)
        // A CronJob's run is no endpoint: no drain.
        Assert.DoesNotContain("--drain-delay",
            Assert.Single(objects.OfType<k8s.Models.V1CronJob>()).Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args);
    }

    [Fact]
    public void At_SIGTERM_Tend_as_PID_1_reports_not_ready_waits_then_stops_the_dependent_first()
    {
        const int drainMs = 3000;
        using var tend = TendRun.Start(["--orchestrated", "--only", "web,worker", "--drain-delay", $"{drainMs}ms", "--worker-every",
            "200ms"],
            setup: "ip link set lo up", binary: Exported.WebWorker, net: true);
        tend.Next("web", "ready", 30);
        tend.Next("worker", "started", 10);
        Assert.Equal(0, tend.Ctl("health").Code);

        Assert.Equal(0, TendRun.kill(tend.Pid, Libc.SIGTERM));
        var draining = tend.Next(e => TendRun.Str(e, "message")?.Contains("not ready, stopping in") == true);
        var (code, output, _) = tend.Ctl("health");
        Assert.Equal(1, code);
        Assert.Contains("draining", output);
        // Still up meanwhile: the worker keeps calling the API.
        tend.WaitForStdout("worker: job 5:", 10);

        Assert.Equal(0, tend.WaitForExit(30));
        var events = tend.Events;
        int Index(string service, string evt) => events.ToList().FindIndex(e => TendRun.Str(e, "service") == service && TendRun.Str(e,
            "event") == evt);
        // Nothing was stopped before the drain ended (Tend's own timestamps), and the worker stopped before the API.
        var firstStop = events.First(e => TendRun.Str(e, "event") == "stopping");
        var drained = Time(firstStop) - Time(draining);
        Assert.True(drained >= TimeSpan.FromMilliseconds(drainMs - 5), $"the first stop came {drained.TotalMilliseconds} ms after SIGTERM");
        Assert.True(Index("worker", "stopped") >= 0 && Index("worker", "stopped") < Index("web", "stopping"), string.Join('\n', events));
    }

    private static DateTimeOffset Time(System.Text.Json.JsonElement e) => DateTimeOffset.Parse(TendRun.Str(e, "time")!,
        System.Globalization.CultureInfo.InvariantCulture);
}
