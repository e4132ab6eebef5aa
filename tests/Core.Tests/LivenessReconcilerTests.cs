using System.Collections.Immutable;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>Liveness checks in the pure reconciler, on a fake clock: when they run, and what failures in a row do.</summary>
[Trait("Category", "Unit")]
public class LivenessReconcilerTests
{
    private static ServiceSpec S(string name, Restart restart = Restart.Always, params string[] deps) =>
        new(name, new Command("/bin/" + name)) { Restart = restart, DependsOn = deps, StopTimeout = TimeSpan.FromSeconds(5) };

    private static ServiceSpec Checked(string name, Restart restart = Restart.Always) =>
        S(name, restart) with { Alive = Liveness.Http(8080) with { Interval = TimeSpan.FromSeconds(1), Failures = 3 } };

    /// <summary>Runs the fake until the next liveness check is due and taken.</summary>
    private static FakeSupervisor NextCheck(FakeSupervisor f)
    {
        f.TakeActions();
        f.Advance(f.WakeAt!.Value - f.Now);
        Assert.Equal("alive a", f.TakeActions());
        return f;
    }

    [Fact]
    public void Liveness_is_checked_every_interval_once_running_on_a_grid_shared_by_services()
    {
        var f = new FakeSupervisor(Checked("a"), Checked("b")).Step();
        Assert.Equal("start a; start b", f.TakeActions());
        // The first check is at least one interval after the start, on the grid: both services wake together.
        Assert.Equal(Reconciler.NextOnGrid(f.Now + 999, 1000), f.WakeAt);
        Assert.True(f.WakeAt >= f.Now + 1000);
        f.Advance(f.WakeAt!.Value - f.Now);
        Assert.Equal("alive a; alive b", f.TakeActions());
        Assert.Equal(f.Now + 1000, f.WakeAt);
    }

    [Fact]
    public void No_liveness_check_before_the_readiness_check_passed()
    {
        var spec = Checked("a") with { Ready = Readiness.Tcp(8080) with { Interval = TimeSpan.FromSeconds(5) } };
        var f = new FakeSupervisor(spec).Step();
        Assert.Equal("start a; check a", f.TakeActions());
        f.Advance(5000);
        Assert.Equal("check a", f.TakeActions());
        f.Ready("a");
        f.Advance(f.WakeAt!.Value - f.Now);
        Assert.Equal("alive a", f.TakeActions());
    }

    [Fact]
    public void Failures_below_the_threshold_then_a_pass_restart_nothing()
    {
        var f = new FakeSupervisor(Checked("a")).Step();
        NextCheck(f).Alive("a", false, "HTTP 500");
        NextCheck(f).Alive("a", false, "HTTP 500");
        Assert.Equal((2, "HTTP 500"), (f["a"].AliveFailures, f["a"].AliveReason));
        NextCheck(f).Alive("a", true);
        Assert.Equal(ServicePhase.Running, f["a"].Phase);
        Assert.Equal(0, f["a"].AliveFailures);
        // The count starts again: two more failures are still below the threshold.
        NextCheck(f).Alive("a", false, "timeout");
        NextCheck(f).Alive("a", false, "timeout");
        Assert.Equal(ServicePhase.Running, f["a"].Phase);
        Assert.Equal("", f.TakeActions());
    }

    [Fact]
    public void The_threshold_of_failures_stops_the_service_and_starts_it_again_like_a_crash()
    {
        var f = new FakeSupervisor(Checked("a")).Step();
        NextCheck(f).Alive("a", true);
        NextCheck(f).Alive("a", false, "HTTP 500");
        NextCheck(f).Alive("a", false, "HTTP 500");
        NextCheck(f).Alive("a", false, "HTTP 503");
        Assert.Equal(ServicePhase.Stopping, f["a"].Phase);
        Assert.True(f["a"].Unhealthy);
        Assert.Equal("signal a SIGTERM", f.TakeActions());
        // Still running after its stop timeout: SIGKILL, as for any stop.
        f.Advance(5000);
        Assert.Equal("signal a SIGKILL", f.TakeActions());
        f.Exit("a", ExitStatus.Killed(9));
        Assert.Equal("start a", f.TakeActions());
        Assert.Equal((ServicePhase.Running, 1, false), (f["a"].Phase, f["a"].Restarts, f["a"].Unhealthy));
    }

    [Fact]
    public void An_unhealthy_service_whose_stop_signal_ends_it_with_code_0_is_restarted_all_the_same()
    {
        var f = new FakeSupervisor(Checked("a", Restart.OnFailure)).Step();
        for (var k = 0; k < 3; k++) NextCheck(f).Alive("a", false, "HTTP 500");
        f.TakeActions();
        f.Exit("a", ExitStatus.Exited(0));
        Assert.Equal("start a", f.TakeActions());
    }

    [Fact]
    public void A_service_that_is_never_healthy_fails_after_its_start_limit_of_restarts()
    {
        var f = new FakeSupervisor(Checked("a")).Step();
        for (var run = 0; run <= 5; run++)
        {
            for (var k = 0; k < 3; k++) NextCheck(f).Alive("a", false, "no answer within 1s");
            f.TakeActions();
            f.Exit("a", ExitStatus.Killed(15));
            if (run < 5)
            {
                Assert.Equal(ServicePhase.Backoff == f["a"].Phase ? "" : "start a", f.TakeActions());
                if (f["a"].Phase == ServicePhase.Backoff) f.Advance(f["a"].NextStartAt - f.Now);
                f.TakeActions();
                Assert.Equal(ServicePhase.Running, f["a"].Phase);
            }
        }
        Assert.Equal(ServicePhase.Failed, f["a"].Phase);
        Assert.StartsWith("never healthy: restarted 5 times in a row", f["a"].Reason);
    }

    [Fact]
    public void An_unhealthy_service_that_must_not_restart_fails_and_says_why()
    {
        var f = new FakeSupervisor(Checked("a", Restart.Never), S("b")).Step();
        for (var k = 0; k < 3; k++) NextCheck(f).Alive("a", false, "connection refused");
        f.TakeActions();
        f.Exit("a", ExitStatus.Killed(15));
        Assert.Equal(ServicePhase.Failed, f["a"].Phase);
        Assert.Contains("failed 3 times in a row (last: connection refused), and its restart policy is never", f["a"].Reason);
    }
}
