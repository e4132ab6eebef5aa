using System.Collections.Immutable;
using System.Text.Json;
using Tend.Control;
using Tend.Logging;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>The control plane's decisions about scheduled tasks (<c>tend run</c>, stop/start, status), as a pure function.</summary>
[Trait("Category", "Unit")]
public class ScheduleControlTests
{
    private const long T0 = 1_000_000;
    private static readonly DateTimeOffset Due = new(2026, 3, 10, 3, 0, 0, TimeSpan.Zero);

    private static readonly ServiceTable Table = new([
        new ServiceSpec("web", new Command("/bin/web")),
        new ServiceSpec("backup", new Command("/bin/backup")) { Schedule = Schedule.Parse("0 3 * * *") },
    ]);

    private static ServiceRuntime Between(int starts = 0) => new()
    {
        Phase = ServicePhase.Scheduled, Starts = starts, LastExit = starts > 0 ? ExitStatus.Exited(4) : null,
        Schedule = new ScheduleState { NextDueAt = Due, LastRunAt = starts > 0 ? Due.AddDays(-1) : null },
    };

    private static ServiceRuntime Running(int pid, int starts = 1) =>
        new() { Phase = ServicePhase.Running, Process = new TrackedProcess(pid, 1, pid, true, true), Starts = starts, StartedAt = T0 - 10 };

    private static SupervisorView View(ServiceRuntime backup, DesiredState? desired = null) =>
        new(Table, desired ?? DesiredState.AllUp(2), [Running(100), backup], T0);

    private static JsonElement Json(string? reply) => JsonDocument.Parse(reply!).RootElement;

    private static string Error(string? reply) => Json(reply).GetProperty("error").GetString()!;

    [Fact]
    public void Run_asks_for_one_run_and_answers_once_it_started()
    {
        var d = ControlDecisions.Decide(new ControlRequest(ControlVerb.Run, "backup"), View(Between(starts: 2)), ControlState.Empty);
        Assert.Null(d.Reply);
        Assert.Equal(1, Assert.Single(d.RunNow));
        Assert.True(d.Changed);
        Assert.Equal(EventNames.RunRequested, d.Event!.Value.Event);
        var waiter = Assert.Single(d.State.Waiters);
        Assert.Equal(ControlGoal.Ran, waiter.Goal);

        // Not yet started: still waiting.
        var before = ControlDecisions.Settle(View(Between(starts: 2) with { Schedule = Between().Schedule with { RunRequested = true } }),
            d.State);
        Assert.Empty(before.Answers);
        // The next round started it.
        var after = ControlDecisions.Settle(View(Running(200, starts: 3)), d.State);
        var (_, reply) = Assert.Single(after.Answers);
        Assert.Equal("backup: run started (pid 200)", Json(reply).GetProperty("message").GetString());
        Assert.Empty(after.State.Waiters);
    }

    [Fact]
    public void Run_of_a_run_that_ended_at_once_or_could_not_start_says_so()
    {
        var d = ControlDecisions.Decide(new ControlRequest(ControlVerb.Run, "backup"), View(Between()), ControlState.Empty);
        var ended = ControlDecisions.Settle(View(Between(starts: 1)), d.State);
        Assert.Contains("run started and ended with exit code 4",
            Json(Assert.Single(ended.Answers).Reply).GetProperty("message").GetString());
        var failed = ControlDecisions.Settle(View(Between(starts: 1) with { Reason = "No such file or directory" }), d.State);
        Assert.Contains("could not run: No such file or directory", Error(Assert.Single(failed.Answers).Reply));
    }

    [Theory]
    [InlineData("running", "a run never overlaps another")]
    [InlineData("paused", "is paused: resume it first (tend start backup)")]
    [InlineData("shutting-down", "tend is shutting down")]
    public void Run_is_refused_while_a_run_goes_when_paused_or_shutting_down(string situation, string why)
    {
        var view = situation switch
        {
            "running" => View(Running(200)),
            "paused" => View(Between() with { Phase = ServicePhase.Stopped }, DesiredState.AllUp(2) with { Up = [true, false] }),
            _ => View(Between(), DesiredState.AllUp(2) with { ShuttingDown = true }),
        };
        var d = ControlDecisions.Decide(new ControlRequest(ControlVerb.Run, "backup"), view, ControlState.Empty);
        Assert.Contains(why, Error(d.Reply));
        Assert.Empty(d.RunNow);
        Assert.False(d.Changed);
    }

    [Fact]
    public void Run_of_a_service_without_a_schedule_and_restart_of_a_task_point_to_the_right_verb()
    {
        var run = ControlDecisions.Decide(new ControlRequest(ControlVerb.Run, "web"), View(Between()), ControlState.Empty);
        Assert.Contains("'web' has no schedule", Error(run.Reply));
        var restart = ControlDecisions.Decide(new ControlRequest(ControlVerb.Restart, "backup"), View(Between()), ControlState.Empty);
        Assert.Contains("'tend run backup' starts one run now", Error(restart.Reply));
    }

    [Fact]
    public void Stop_pauses_and_start_resumes_through_the_desired_state()
    {
        var stop = ControlDecisions.Decide(new ControlRequest(ControlVerb.Stop, "backup"), View(Between()), ControlState.Empty);
        Assert.False(stop.Desired.Up[1]);
        var settled = ControlDecisions.Settle(View(Between() with { Phase = ServicePhase.Stopped }, stop.Desired), stop.State);
        Assert.Contains("backup: stopped", Json(Assert.Single(settled.Answers).Reply).GetProperty("message").GetString());

        var start = ControlDecisions.Decide(new ControlRequest(ControlVerb.Start, "backup"),
            View(Between() with { Phase = ServicePhase.Stopped }, stop.Desired), ControlState.Empty);
        Assert.True(start.Desired.Up[1]);
        var resumed = ControlDecisions.Settle(View(Between(), start.Desired), start.State);
        Assert.Equal("backup: scheduled (next run at 2026-03-10 03:00:00 +00:00)",
            Json(Assert.Single(resumed.Answers).Reply).GetProperty("message").GetString());

        var again = ControlDecisions.Decide(new ControlRequest(ControlVerb.Start, "backup"), View(Between()), ControlState.Empty);
        Assert.Equal("backup: already scheduled (next run at 2026-03-10 03:00:00 +00:00)",
            Json(again.Reply).GetProperty("message").GetString());
    }

    [Fact]
    public void Status_shows_the_schedule_the_last_run_its_exit_code_and_the_next_due_time()
    {
        var d = ControlDecisions.Decide(new ControlRequest(ControlVerb.Status), View(Between(starts: 1)), ControlState.Empty);
        var backup = Json(d.Reply).GetProperty("services")[1];
        Assert.Equal("scheduled", backup.GetProperty("state").GetString());
        Assert.Equal("0 3 * * *", backup.GetProperty("schedule").GetString());
        Assert.Equal("2026-03-09 03:00:00 +00:00", backup.GetProperty("lastRun").GetString());
        Assert.Equal(4, backup.GetProperty("lastExitCode").GetInt32());
        Assert.Equal("2026-03-10 03:00:00 +00:00", backup.GetProperty("nextDue").GetString());
        Assert.True(backup.GetProperty("ready").GetBoolean());
        Assert.False(Json(d.Reply).GetProperty("services")[0].TryGetProperty("schedule", out _));

        var table = ControlClient.Table(Json(d.Reply).GetProperty("services"));
        Assert.Contains("schedule 0 3 * * *, 1 run, last run 2026-03-09 03:00:00 +00:00, next 2026-03-10 03:00:00 +00:00", table);
        // Its runs are runs, not restarts.
        Assert.Equal((0, 1), (backup.GetProperty("restarts").GetInt32(), backup.GetProperty("runs").GetInt32()));
    }
}
