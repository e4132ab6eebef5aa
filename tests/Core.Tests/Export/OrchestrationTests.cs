using Tend.Arguments;
using Tend.Export;

namespace Tend.Tests.Export;

/// <summary><c>--orchestrated</c>: no restarts, Tend ends with the service, dependencies left out are the orchestrator's.</summary>
public class OrchestrationTests
{
    private static List<ServiceSpec> Worker() =>
        [new ServiceSpec("worker", new Command("/bin/true")) { DependsOn = ["web", "db"], Restart = Restart.Always }, new ServiceSpec("db",
            new Command("/bin/true"))];

    [Fact]
    public void Without_it_a_left_out_dependency_is_refused()
    {
        var e = Assert.Throws<UsageException>(() => ServiceSelection.RequireDependencies(Worker()));
        Assert.Equal("service 'worker' depends on 'web', which --only/--without leaves out: keep both or neither (or give --orchestrated " +
            "when an orchestrator runs 'web')", e.Message);
    }

    [Fact]
    public void With_it_every_service_runs_once_and_is_critical_and_left_out_dependencies_are_dropped()
    {
        var services = Orchestration.Apply(Worker());
        Assert.All(services, s => Assert.Equal(Restart.Never, s.Restart));
        Assert.All(services, s => Assert.True(s.Critical));
        Assert.Equal(["db"], services[0].DependsOn);
    }

    [Fact]
    public void It_is_parsed_as_Tends_own_flag()
    {
        Assert.True(HostOptions.Parse(["--orchestrated", "sleep 1"]).Orchestrated);
        Assert.False(HostOptions.Parse(["sleep 1"]).Orchestrated);
    }

    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 3", 3)]
    public void Tend_exits_when_the_service_ends_with_its_code_and_never_restarts_it(string script, int code)
    {
        // Not PID 1 here (a subreaper): the same decisions. A failure's own code is handed on by the critical-exit rule;
        // until that lands Tend exits 1 for any failure, so only "non-zero" is asserted for it.
        var (exit, _, err) = Exported.Run(TendRun.Binary, ["--orchestrated", "--no-control", "--log-format", "json", $"sh -c '{script}'"]);
        if (code == 0) Assert.Equal(0, exit);
        else Assert.NotEqual(0, exit);
        Assert.Single(err.Split('\n'), l => l.Contains("\"event\":\"started\""));
        Assert.DoesNotContain("\"event\":\"backoff\"", err);
    }
}

/// <summary><c>--orchestrated</c> and schedules: a declared one is the orchestrator's (a CronJob), one given with <c>--schedule</c> stays
/// Tend's.</summary>
public class OrchestratedScheduleTests
{
    private static List<ServiceSpec> Task() => [new ServiceSpec("report",
        new Command("/bin/true")) { Schedule = Schedule.Parse("*/5 * * * *") }];

    [Fact]
    [Trait("Category", "Unit")]
    public void A_declared_schedule_becomes_one_run_now()
    {
        var report = Assert.Single(Orchestration.Apply(Task()));
        Assert.Null(report.Schedule);
        Assert.True(report.OneShot);
        Assert.Equal(Restart.Never, report.Restart);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void A_schedule_given_with_schedule_is_kept_and_nothing_changes_without_orchestrated()
    {
        // Without --orchestrated the host never calls Apply: only the dependency check runs, and it changes nothing.
        var task = Task();
        ServiceSelection.RequireDependencies(task);
        Assert.Equal("*/5 * * * *", Assert.Single(Orchestration.Apply(Task(), ["report"])).Schedule!.Expression);
        Assert.NotNull(Assert.Single(task).Schedule);
    }

    [Fact]
    public void The_CronJob_container_runs_the_task_once_and_exits_with_its_code()
    {
        // What a CronJob's pod runs: the WebWorker image's report task, orchestrated, its API a server of the test's.
        using var api = new HttpResponder(failures: 0, body: "WebWorker API: 7 jobs so far");
        var (code, output, err) = Exported.Run(Exported.WebWorker, ["--orchestrated", "--no-control", "--log-format", "json", "--only",
            "report", "--report-api", $"http://127.0.0.1:{api.Port}"]);
        Assert.True(code == 0, err);
        Assert.Contains("report: WebWorker API: 7 jobs so far", output);
        Assert.Equal(1, api.Requests);
        Assert.DoesNotContain("\"event\":\"scheduled\"", err);
        // A failed run is the CronJob's to see: Tend exits with the task's code (report: 1 when the API does not answer).
        var port = Loopback.FreePort();
        (code, output, err) = Exported.Run(Exported.WebWorker, ["--orchestrated", "--no-control", "--only", "report", "--report-api",
            $"http://127.0.0.1:{port}"]);
        Assert.Equal(1, code);
        Assert.Contains("report: the API is not answering", output);
    }
}
