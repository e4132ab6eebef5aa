using Tend.Supervision;

namespace Tend.Tests;

/// <summary>What counts as a restart (<see cref="ServiceRuntime.Restarts"/>) and what only as a run
/// (<see cref="ServiceRuntime.Starts"/>).</summary>
[Trait("Category", "Unit")]
public class RestartCountTests
{
    private static readonly TrackedProcess Process = new(100, 1, 100, true, true);

    [Fact]
    public void Starts_after_the_first_are_restarts_but_a_scheduled_tasks_runs_are_not()
    {
        var r = new ServiceRuntime();
        for (var k = 0; k < 3; k++) r = Reconciler.OnStarted(r with { Phase = ServicePhase.Backoff }, Process, 1000 * k);
        Assert.Equal((3, 2), (r.Starts, r.Restarts));
        var task = new ServiceRuntime();
        for (var k = 0; k < 187; k++) task = Reconciler.OnStarted(task with { Phase = ServicePhase.Scheduled }, Process, 1000 * k,
            scheduled: true);
        Assert.Equal((187, 0), (task.Starts, task.Restarts));
    }

    [Fact]
    public void A_start_that_failed_to_spawn_counts_as_a_restart_only_for_a_service_that_is_not_scheduled()
    {
        var service = new ServiceSpec("web", new Command("/bin/web"));
        var task = service with { Schedule = Schedule.Parse("* * * * * *") };
        var ran = new ServiceRuntime { Starts = 1, Phase = ServicePhase.Backoff };
        Assert.Equal(1, Reconciler.OnSpawnFailed(service, ran, "no such file", 5000).Restarts);
        Assert.Equal(0, Reconciler.OnSpawnFailed(task, ran with { Phase = ServicePhase.Scheduled }, "no such file", 5000).Restarts);
        Assert.Equal(0, Reconciler.OnSpawnFailed(service, new ServiceRuntime(), "no such file", 0).Restarts); // its first start
    }
}
