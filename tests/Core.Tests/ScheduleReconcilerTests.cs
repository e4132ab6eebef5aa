using Tend.Supervision;

namespace Tend.Tests;

/// <summary>Scheduled tasks in the pure reconciler, on a fake monotonic clock and a fake wall clock that can jump.</summary>
[Trait("Category", "Unit")]
public class ScheduleReconcilerTests
{
    private static readonly DateTimeOffset At0259 = new(2026, 3, 10, 2, 59, 0, TimeSpan.Zero);

    private static ServiceSpec Task(string name, string cron, bool critical = false) =>
        new(name, new Command("/bin/" + name)) { Schedule = Schedule.Parse(cron), Critical = critical,
            StopTimeout = TimeSpan.FromSeconds(5) };

    private static FakeSupervisor Fake(DateTimeOffset wall, params ServiceSpec[] specs) => new FakeSupervisor(specs) { Wall = wall };

    private static DateTimeOffset T(int h, int m, int s = 0, int day = 10) => new(2026, 3, day, h, m, s, TimeSpan.Zero);

    [Fact]
    public void Waits_for_the_first_due_time_and_wakes_only_then()
    {
        var f = Fake(At0259, Task("backup", "0 3 * * *")).Step();
        Assert.Equal("", f.TakeActions());
        Assert.Equal(ServicePhase.Scheduled, f["backup"].Phase);
        Assert.Equal(T(3, 0), f["backup"].Schedule.NextDueAt);
        Assert.Equal(f.Now + 60_000, f.WakeAt); // one timer, for the due time, on the monotonic clock
        f.Advance(59_999);
        Assert.Equal("", f.TakeActions());
        f.Advance(1);
        Assert.Equal("start backup", f.TakeActions());
        Assert.Equal(ServicePhase.Running, f["backup"].Phase);
        Assert.Equal(T(3, 0, day: 11), f["backup"].Schedule.NextDueAt);
        Assert.Equal(T(3, 0), f["backup"].Schedule.LastRunAt);
    }

    [Fact]
    public void A_run_ends_back_in_scheduled_whatever_its_exit_and_is_not_restarted()
    {
        var f = Fake(At0259, Task("backup", "0 3 * * *")).Step().Advance(60_000);
        f.TakeActions();
        f.Advance(5_000).Exit("backup", ExitStatus.Exited(3));
        Assert.Equal(ServicePhase.Scheduled, f["backup"].Phase);
        Assert.Equal(ExitStatus.Exited(3), f["backup"].LastExit);
        f.Advance(3_600_000);
        Assert.Equal("", f.TakeActions()); // no restart, no backoff: the next run is tomorrow's
        Assert.Null(f.ExitCode);
        Assert.Equal(f.Now + (long)(T(3, 0, day: 11) - f.Wall!.Value).TotalMilliseconds, f.WakeAt);
    }

    [Fact]
    public void A_run_still_going_at_the_next_due_time_skips_it()
    {
        var f = Fake(At0259, Task("sh", "*/2 * * * * *")).Step();
        Assert.Equal(T(2, 59, 2), f["sh"].Schedule.NextDueAt);
        f.SleepUntilWake();
        Assert.Equal("start sh", f.TakeActions());
        f.SleepUntilWake(); // 02:59:04: the run (it sleeps 3 s) still goes
        Assert.Equal("", f.TakeActions());
        Assert.Equal(1, f["sh"].Schedule.Skipped);
        Assert.Equal(T(2, 59, 4), f["sh"].Schedule.LastSkip!.Value.Due);
        Assert.Contains("still runs", f["sh"].Schedule.LastSkip!.Value.Why);
        Assert.Equal(T(2, 59, 6), f["sh"].Schedule.NextDueAt);
        f.Advance(1_000).Exit("sh", ExitStatus.Exited(0)); // 02:59:05
        Assert.Equal(ServicePhase.Scheduled, f["sh"].Phase);
        f.SleepUntilWake();
        Assert.Equal("start sh", f.TakeActions());
        Assert.Equal(T(2, 59, 6), f.Wall);
    }

    [Fact]
    public void Runs_missed_while_tend_was_not_running_are_not_replayed()
    {
        // Tend starts at 03:00:30: the 03:00 run is past, and the first run is the next one, not a catch-up.
        var f = Fake(T(3, 0, 30), Task("tick", "* * * * *")).Step();
        Assert.Equal("", f.TakeActions());
        Assert.Equal(T(3, 1), f["tick"].Schedule.NextDueAt);
    }

    [Fact]
    public void A_wall_clock_set_back_while_waiting_neither_runs_early_nor_twice()
    {
        var f = Fake(At0259, Task("backup", "0 3 * * *")).Step();
        var wake = f.WakeAt;
        f.Jump(TimeSpan.FromHours(-1)); // 01:59 on the wall; the monotonic wait goes on
        Assert.Equal("", f.TakeActions());
        f.Advance(wake!.Value - f.Now); // the monotonic timer fires: 02:00 on the wall, not due
        Assert.Equal("", f.TakeActions());
        Assert.Equal(f.Now + 3_600_000, f.WakeAt); // checked again on waking: waits the hour the clock went back
        f.SleepUntilWake();
        Assert.Equal("start backup", f.TakeActions());
        Assert.Equal(T(3, 0), f.Wall);
    }

    [Fact]
    public void A_wall_clock_set_back_after_a_run_does_not_run_it_again()
    {
        var f = Fake(At0259, Task("backup", "0 3 * * *")).Step().SleepUntilWake();
        Assert.Equal("start backup", f.TakeActions());
        f.Advance(1_000).Exit("backup", ExitStatus.Exited(0));
        f.Jump(TimeSpan.FromMinutes(-30)); // 02:30:01 again
        f.Advance(31 * 60_000);
        Assert.Equal("", f.TakeActions()); // 03:00 came again on the wall: it ran already
        Assert.Equal(T(3, 0, day: 11), f["backup"].Schedule.NextDueAt);
    }

    [Fact]
    public void A_wall_clock_jumping_forward_runs_the_due_run_once_and_replays_nothing_it_jumped_over()
    {
        var f = Fake(At0259, Task("tick", "* * * * *")).Step();
        f.Jump(TimeSpan.FromHours(2)); // 04:59 on the wall, an NTP step or a resume from suspend
        Assert.Equal("start tick", f.TakeActions()); // 03:00 was due: it runs once, now
        Assert.Equal(T(5, 0), f["tick"].Schedule.NextDueAt); // not the 119 runs the jump passed over
        f.Advance(500).Exit("tick", ExitStatus.Exited(0));
        Assert.Equal("", f.TakeActions());
        f.SleepUntilWake();
        Assert.Equal("start tick", f.TakeActions());
        Assert.Equal(T(5, 0), f.Wall);
    }

    [Fact]
    public void Stop_pauses_the_schedule_and_start_resumes_it_from_now()
    {
        var f = Fake(At0259, Task("tick", "* * * * *")).Step();
        f.SetUp("tick", false);
        Assert.Equal(ServicePhase.Stopped, f["tick"].Phase);
        Assert.Null(f.WakeAt); // paused: nothing to wake for
        f.Advance(5 * 60_000);
        Assert.Equal("", f.TakeActions());
        f.SetUp("tick", true); // 03:04: the runs missed while paused are not replayed
        Assert.Equal(ServicePhase.Scheduled, f["tick"].Phase);
        Assert.Equal("", f.TakeActions());
        Assert.Equal(T(3, 5), f["tick"].Schedule.NextDueAt);
        f.SleepUntilWake();
        Assert.Equal("start tick", f.TakeActions());
    }

    [Fact]
    public void Stop_during_a_run_stops_the_run_with_its_stop_signal_and_pauses()
    {
        var f = Fake(At0259, Task("tick", "* * * * *")).Step().SleepUntilWake();
        f.TakeActions();
        f.SetUp("tick", false);
        Assert.Equal("signal tick SIGTERM", f.TakeActions());
        f.Exit("tick", ExitStatus.Killed(15));
        Assert.Equal(ServicePhase.Stopped, f["tick"].Phase);
        f.Advance(10 * 60_000);
        Assert.Equal("", f.TakeActions());
    }

    [Fact]
    public void Run_now_starts_one_run_without_moving_the_due_time()
    {
        var f = Fake(At0259, Task("backup", "0 3 * * *")).Step().Advance(10_000);
        f.RunNow("backup");
        Assert.Equal("start backup", f.TakeActions());
        Assert.True(f["backup"].Schedule.LastRunRequested);
        Assert.False(f["backup"].Schedule.RunRequested);
        Assert.Equal(T(3, 0), f["backup"].Schedule.NextDueAt);
        f.Advance(1_000).Exit("backup", ExitStatus.Exited(0));
        f.SleepUntilWake();
        Assert.Equal("start backup", f.TakeActions()); // 03:00 still runs
        Assert.False(f["backup"].Schedule.LastRunRequested);
    }

    [Fact]
    public void A_task_that_is_not_critical_keeps_its_schedule_however_often_it_fails()
    {
        var f = Fake(At0259, Task("tick", "* * * * *")).Step();
        for (var k = 0; k < 20; k++)
        {
            f.SleepUntilWake();
            Assert.Equal("start tick", f.TakeActions());
            f.Advance(10).Exit("tick", ExitStatus.Exited(1));
            Assert.Equal(ServicePhase.Scheduled, f["tick"].Phase);
        }
        Assert.Null(f.ExitCode);
        Assert.False(f.Desired.ShuttingDown);
        Assert.Equal(20, f["tick"].Schedule.FailedInARow);
    }

    [Fact]
    public void A_critical_task_whose_runs_fail_more_than_its_start_limit_in_a_row_ends_the_container()
    {
        var f = Fake(At0259, Task("tick", "* * * * *", critical: true)).Step();
        for (var k = 0; k < 5; k++)
        {
            f.SleepUntilWake();
            f.Advance(10).Exit("tick", ExitStatus.Exited(k == 2 ? 0 : 1)); // a success resets the count
        }
        Assert.Equal(ServicePhase.Scheduled, f["tick"].Phase);
        Assert.Equal(2, f["tick"].Schedule.FailedInARow);
        for (var k = 0; k < 4; k++) f.SleepUntilWake().Advance(10).Exit("tick", ExitStatus.Exited(1));
        Assert.Equal(ServicePhase.Failed, f["tick"].Phase);
        Assert.Contains("last 6 runs failed", f["tick"].Reason);
        Assert.Equal(1, f.ExitCode);
    }

    [Fact]
    public void A_spawn_error_is_a_failed_run_that_waits_for_the_next_due_time()
    {
        var f = Fake(At0259, Task("tick", "* * * * *")).Step();
        f.SpawnFailed("tick", "no such file"); // as Execute reports a failed posix_spawn of a due run
        Assert.Equal(ServicePhase.Scheduled, f["tick"].Phase);
        Assert.Equal("no such file", f["tick"].Reason);
        Assert.Equal(1, f["tick"].Schedule.FailedInARow);
        Assert.Equal("", f.TakeActions()); // not retried with backoff: the next due time
        Assert.Equal(T(3, 0), f["tick"].Schedule.NextDueAt);
    }

    [Fact]
    public void A_shutdown_stops_a_run_like_any_service_and_exits_once_it_ended()
    {
        var f = Fake(At0259, Task("tick", "* * * * *"), new ServiceSpec("web", new Command("/bin/web"))).Step();
        f.TakeActions();
        f.Shutdown();
        Assert.Equal("signal web SIGTERM", f.TakeActions());
        Assert.Equal(ServicePhase.Stopped, f["tick"].Phase);
        f.Exit("web", ExitStatus.Killed(15));
        Assert.Equal(0, f.ExitCode);
    }

    [Fact]
    public void A_task_waits_for_its_dependencies_before_its_schedule_begins()
    {
        var db = new ServiceSpec("db", new Command("/bin/db")) { Ready = Readiness.Tcp(5432) };
        var f = Fake(At0259, db, Task("dump", "* * * * *") with { DependsOn = ["db"] }).Step();
        Assert.Equal(ServicePhase.Waiting, f["dump"].Phase);
        f.Ready("db");
        Assert.Equal(ServicePhase.Scheduled, f["dump"].Phase);
        Assert.Equal(T(3, 0), f["dump"].Schedule.NextDueAt);
    }

    [Theory]
    [InlineData("oneshot", "cannot also be one-shot")]
    [InlineData("daemon", "cannot also be a daemon")]
    [InlineData("ready", "cannot also be checked for readiness")]
    public void A_schedule_cannot_be_one_shot_a_daemon_or_checked_for_readiness(string what, string message)
    {
        var task = Task("backup", "0 3 * * *");
        task = what switch
        {
            "oneshot" => task with { OneShot = true },
            "daemon" => task with { Daemonizes = true },
            _ => task with { Ready = Readiness.File("/tmp/x") },
        };
        var e = Assert.Throws<ArgumentException>(() => new ServiceTable([task]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_scheduled_task_counts_as_up_for_health_while_its_schedule_is_active()
    {
        var spec = Task("tick", "* * * * *");
        Assert.True(Reconciler.IsReady(spec, new ServiceRuntime { Phase = ServicePhase.Scheduled }));
        Assert.True(Reconciler.IsReady(spec, new ServiceRuntime { Phase = ServicePhase.Running }));
        Assert.False(Reconciler.IsReady(spec, new ServiceRuntime { Phase = ServicePhase.Stopped }));
    }
}
