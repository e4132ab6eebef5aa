using System.Collections.Immutable;
using Tend.Supervision;

namespace Tend.Tests;

[Trait("Category", "Unit")]
public class ReconcilerTests
{
    private static ServiceSpec S(string name, Restart restart = Restart.Always, params string[] deps) =>
        new(name, new Command("/bin/" + name)) { Restart = restart, DependsOn = deps, StopTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public void Starts_everything_and_has_nothing_to_wake_for()
    {
        var f = new FakeSupervisor(S("a"), S("b")).Step();
        Assert.Equal("start a; start b", f.TakeActions());
        Assert.Null(f.WakeAt);
        Assert.Equal(ServicePhase.Running, f["a"].Phase);
    }

    [Fact]
    public void A_service_stopped_on_request_stops_at_once_stays_stopped_and_starts_on_request()
    {
        var f = new FakeSupervisor(S("db"), S("web", Restart.Always, "db")).Step();
        Assert.Equal("start db; start web", f.TakeActions());
        f.SetUp("db", false);
        Assert.Equal("signal db SIGTERM", f.TakeActions()); // its dependent keeps running: only a shutdown orders stops
        f.Exit("db", ExitStatus.Killed(15));
        Assert.Equal(ServicePhase.Stopped, f["db"].Phase);
        f.Advance(60_000);
        Assert.Equal("", f.TakeActions());
        Assert.Null(f.ExitCode); // a stopped service is still supervised: Tend does not exit
        f.SetUp("db", true);
        Assert.Equal("start db", f.TakeActions());
        Assert.Equal(ServicePhase.Running, f["db"].Phase);
        Assert.Equal(1, f["db"].Restarts);
    }

    [Fact]
    public void A_readiness_check_runs_every_interval_until_it_passes_and_holds_back_dependents()
    {
        var db = S("db") with { Ready = Readiness.Tcp(5432) with { Interval = TimeSpan.FromMilliseconds(50) } };
        var f = new FakeSupervisor(db, S("web", Restart.Always, "db")).Step();
        Assert.Equal("start db; check db", f.TakeActions());
        Assert.Equal(f.Now + 50, f.WakeAt);
        f.Advance(20);
        Assert.Equal("", f.TakeActions());
        f.Advance(30);
        Assert.Equal("check db", f.TakeActions());
        Assert.False(Reconciler.IsReady(db, f["db"]));
        f.Ready("db");
        Assert.Equal("start web", f.TakeActions());
        Assert.Null(f.WakeAt); // ready: no more checks

        f.Advance(60_000).Exit("db", ExitStatus.Killed(9));
        Assert.Equal("start db; check db", f.TakeActions()); // each run must pass its check again
        Assert.False(Reconciler.IsReady(db, f["db"]));
    }

    [Fact]
    public void First_restart_is_immediate_after_a_healthy_run()
    {
        var f = new FakeSupervisor(S("a")).Step();
        f.TakeActions();
        f.Advance(60_000).Exit("a", ExitStatus.Killed(9));
        Assert.Equal("start a", f.TakeActions());
        Assert.Equal(1, f["a"].Restarts);
    }

    [Fact]
    public void Quick_failures_back_off_exponentially_then_hit_the_start_limit()
    {
        var f = new FakeSupervisor(S("a") with { BackoffInitial = TimeSpan.FromMilliseconds(100), StartLimit = 5 }).Step();
        f.TakeActions();
        var delays = new List<long>();
        for (var k = 0; k < 5; k++)
        {
            f.Advance(10).Exit("a", ExitStatus.Exited(1));
            if (f["a"].Phase == ServicePhase.Running) { delays.Add(0); continue; }
            Assert.Equal(ServicePhase.Backoff, f["a"].Phase);
            var delay = f["a"].NextStartAt - f.Now;
            delays.Add(delay);
            Assert.Equal(f["a"].NextStartAt, f.WakeAt);
            f.Advance(delay - 1);
            Assert.Equal(ServicePhase.Backoff, f["a"].Phase);
            f.Advance(1);
            Assert.Equal(ServicePhase.Running, f["a"].Phase);
        }
        Assert.Equal([0L, 100, 200, 400, 800], delays);
        f.Advance(10).Exit("a", ExitStatus.Exited(1));
        Assert.Equal(ServicePhase.Failed, f["a"].Phase);
        Assert.Contains("start limit 5", f["a"].Reason);
        Assert.Equal(1, f.ExitCode); // nothing left to supervise, and it failed
    }

    [Fact]
    public void Backoff_is_capped()
    {
        var spec = S("a") with { BackoffInitial = TimeSpan.FromMilliseconds(100), BackoffMax = TimeSpan.FromMilliseconds(300) };
        Assert.Equal(300, Reconciler.BackoffDelay(spec, 10));
        Assert.Equal(200, Reconciler.BackoffDelay(spec, 3));
    }

    [Fact]
    public void A_long_run_resets_the_quick_failure_count()
    {
        var f = new FakeSupervisor(S("a")).Step();
        f.Advance(10).Exit("a", ExitStatus.Exited(1)); // quick #1: immediate
        f.Advance(10).Exit("a", ExitStatus.Exited(1)); // quick #2: 100ms
        f.Advance(100);
        f.Advance(5000).Exit("a", ExitStatus.Exited(1)); // healthy run
        Assert.Equal(ServicePhase.Running, f["a"].Phase);
        Assert.Empty(f["a"].QuickFailures);
    }

    [Theory]
    [InlineData(Restart.OnFailure, 0, "completed")]
    [InlineData(Restart.OnFailure, 3, "running")]
    [InlineData(Restart.Never, 0, "completed")]
    [InlineData(Restart.Never, 3, "failed")]
    [InlineData(Restart.Always, 0, "running")]
    public void Restart_policies(Restart policy, int code, string expected)
    {
        var f = new FakeSupervisor(S("a", policy), S("keep")).Step();
        f.Advance(5000).Exit("a", ExitStatus.Exited(code));
        Assert.Equal(expected, ServiceStatus.StateName(f["a"].Phase));
    }

    [Theory]
    [InlineData(2, 0, 2)]
    [InlineData(7, 0, 7)]
    [InlineData(0, 9, 137)]
    [InlineData(0, 6, 134)]
    public void A_critical_failure_stops_everything_and_exits_with_the_services_own_code(int code, int signal, int expected)
    {
        var f = new FakeSupervisor(S("db", Restart.Never) with { Critical = true }, S("web")).Step();
        f.TakeActions();
        f.Advance(5000).Exit("db", signal != 0 ? ExitStatus.Killed(signal) : ExitStatus.Exited(code));
        Assert.Equal("signal web SIGTERM", f.TakeActions());
        Assert.Null(f.ExitCode);
        f.Exit("web", ExitStatus.Killed(15));
        Assert.Equal(expected, f.ExitCode);
    }

    [Fact]
    public void A_critical_service_that_never_ran_ends_tend_with_1()
    {
        var f = new FakeSupervisor(S("db") with { Critical = true }, S("web")).Step();
        f.TakeActions();
        // Given up on before any run ended (its spawns failed, or a dependency did): no exit status to hand on.
        f.Spawned(f.Table.IndexOf("db"), r => r with { Phase = ServicePhase.Failed, Process = null, LastExit = null });
        Assert.Equal(ServicePhase.Failed, f["db"].Phase);
        Assert.Null(f["db"].LastExit);
        Assert.Equal("signal web SIGTERM", f.TakeActions());
        f.Exit("web", ExitStatus.Killed(15));
        Assert.Equal(1, f.ExitCode);
    }

    [Fact]
    public void One_shot_tasks_run_first_and_dependents_start_after_success()
    {
        var f = new FakeSupervisor(S("web", Restart.Always, "migrate"), S("migrate") with { OneShot = true }, S("cron")).Step();
        Assert.Equal("start migrate; start cron", f.TakeActions());
        f.Advance(200).Exit("migrate", ExitStatus.Exited(0));
        Assert.Equal(ServicePhase.Completed, f["migrate"].Phase);
        Assert.Equal("start web", f.TakeActions());
    }

    [Fact]
    public void A_daemonizing_dependency_counts_as_running_once_its_daemon_is_found()
    {
        var f = new FakeSupervisor(S("sshd", Restart.Always, "apache2"), S("apache2") with { Daemonizes = true }).Step();
        Assert.Equal("start apache2", f.TakeActions());
        var i = f.Table.IndexOf("apache2");
        f.Advance(100);
        Assert.Equal("", f.TakeActions());
        var launcher = f["apache2"].Process!;
        var daemon = launcher with { Pid = launcher.Pid + 1000, Launched = false };
        f.Daemonized(i, daemon);
        Assert.Equal("start sshd", f.TakeActions());
    }

    [Fact]
    public void A_failed_one_shot_blocks_its_dependents()
    {
        var f = new FakeSupervisor(S("web", Restart.Always, "migrate"), S("migrate", Restart.Never) with { OneShot = true },
            S("cron")).Step();
        f.TakeActions();
        f.Advance(200).Exit("migrate", ExitStatus.Exited(1));
        Assert.Equal(ServicePhase.Failed, f["migrate"].Phase);
        Assert.Equal(ServicePhase.Waiting, f["web"].Phase);
        Assert.Equal("", f.TakeActions());
    }

    [Fact]
    public void Dependencies_start_in_order_and_stop_in_reverse()
    {
        var f = new FakeSupervisor(S("web", Restart.Always, "app"), S("app", Restart.Always, "db"), S("db")).Step();
        Assert.Equal("start db; start app; start web", f.TakeActions());
        f.Shutdown();
        Assert.Equal("signal web SIGTERM", f.TakeActions());
        f.Exit("web", ExitStatus.Killed(15));
        Assert.Equal("signal app SIGTERM", f.TakeActions());
        f.Exit("app", ExitStatus.Killed(15));
        Assert.Equal("signal db SIGTERM", f.TakeActions());
        Assert.Null(f.ExitCode);
        f.Exit("db", ExitStatus.Killed(15));
        Assert.Equal(0, f.ExitCode);
    }

    [Fact]
    public void Independent_services_stop_in_parallel_and_a_stubborn_one_is_killed_at_its_timeout()
    {
        var f = new FakeSupervisor(S("a"), S("b") with { StopTimeout = TimeSpan.FromMilliseconds(500) }, S("c")).Step();
        f.TakeActions();
        f.Shutdown();
        Assert.Equal("signal a SIGTERM; signal b SIGTERM; signal c SIGTERM", f.TakeActions());
        f.Exit("a", ExitStatus.Killed(15)).Exit("c", ExitStatus.Exited(0));
        Assert.Equal(f.Now + 500, f.WakeAt);
        f.Advance(499);
        Assert.Equal("", f.TakeActions());
        f.Advance(1);
        Assert.Equal("signal b SIGKILL", f.TakeActions());
        f.Exit("b", ExitStatus.Killed(9));
        Assert.Equal(0, f.ExitCode);
    }

    [Fact]
    public void A_second_stop_request_kills_what_still_runs_without_waiting()
    {
        var f = new FakeSupervisor(S("web", Restart.Always, "db"), S("db") with { StopTimeout = TimeSpan.FromSeconds(30) }).Step();
        f.TakeActions();
        f.Shutdown();
        Assert.Equal("signal web SIGTERM", f.TakeActions());
        f.Desired = f.Desired with { Force = true };
        f.Step();
        Assert.Equal("signal db SIGKILL; signal web SIGKILL", string.Join("; ", f.TakeActions().Split("; ").Order()));
        f.Exit("web", ExitStatus.Killed(9)).Exit("db", ExitStatus.Killed(9));
        Assert.Equal(0, f.ExitCode);
    }

    [Fact]
    public void Leftovers_of_the_group_are_stopped_before_the_restart()
    {
        var f = new FakeSupervisor(S("apache2") with { StopTimeout = TimeSpan.FromSeconds(5),
            CleanupTimeout = TimeSpan.FromSeconds(1) }).Step();
        f.TakeActions();
        f.Advance(5000).Exit("apache2", ExitStatus.Killed(9), groupAlive: true);
        Assert.Equal(ServicePhase.Cleaning, f["apache2"].Phase);
        Assert.Equal("signal apache2 SIGTERM", f.TakeActions());
        f.Advance(999);
        Assert.Equal("", f.TakeActions());
        f.Advance(1);
        Assert.Equal("signal apache2 SIGKILL", f.TakeActions());
        f.GroupGone("apache2");
        Assert.Equal("start apache2", f.TakeActions());
    }

    [Fact]
    public void A_group_that_survives_sigkill_is_given_up_on_after_a_grace()
    {
        var f = new FakeSupervisor(S("a") with { StopTimeout = TimeSpan.FromMilliseconds(100) }).Step();
        f.TakeActions();
        f.Advance(5000).Exit("a", ExitStatus.Killed(9), groupAlive: true);
        f.Advance(100);
        Assert.Equal("signal a SIGTERM; signal a SIGKILL", f.TakeActions());
        f.Advance(Reconciler.KillGraceMs);
        Assert.Equal("start a", f.TakeActions());
    }

    [Fact]
    public void A_spawn_error_counts_as_a_quick_failure()
    {
        var spec = S("a");
        var r = Reconciler.OnSpawnFailed(spec, new ServiceRuntime(), "'/nope' does not exist", 1000);
        Assert.Equal(ServicePhase.Backoff, r.Phase);
        Assert.Equal(1000, r.NextStartAt);
        Assert.Equal("'/nope' does not exist", r.Reason);
        for (var k = 0; k < 5; k++) r = Reconciler.OnSpawnFailed(spec, r, "'/nope' does not exist", 1000 + k);
        Assert.Equal(ServicePhase.Failed, r.Phase);
        Assert.StartsWith("'/nope' does not exist; it exited 6 times", r.Reason);
    }

    [Fact]
    public void A_stop_during_backoff_is_immediate()
    {
        var f = new FakeSupervisor(S("a"), S("b")).Step();
        f.Advance(10).Exit("a", ExitStatus.Exited(1)).Advance(10).Exit("a", ExitStatus.Exited(1));
        Assert.Equal(ServicePhase.Backoff, f["a"].Phase);
        f.TakeActions();
        f.Shutdown();
        Assert.Equal(ServicePhase.Stopped, f["a"].Phase);
        Assert.Equal("signal b SIGTERM", f.TakeActions());
    }
}
