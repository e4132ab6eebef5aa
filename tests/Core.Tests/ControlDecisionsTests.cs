using System.Collections.Immutable;
using System.Text.Json;
using Tend.Control;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>The control plane's decisions, as a pure function: no socket, no process, a fake clock.</summary>
[Trait("Category", "Unit")]
public class ControlDecisionsTests
{
    private const long T0 = 1_000_000;

    private static ServiceSpec S(string name, params string[] deps) =>
        new(name, new Command("/bin/" + name)) { DependsOn = deps, StopTimeout = TimeSpan.FromSeconds(5) };

    private static readonly ServiceTable Table = new([S("db"), S("web", "db")]);

    private static ServiceRuntime Running(int starts = 1, int pid = 100) =>
        new() { Phase = ServicePhase.Running, Process = new TrackedProcess(pid, 1, pid, true, true), Starts = starts,
            StartedAt = T0 - 5000 };

    private static SupervisorView View(ServiceRuntime db, ServiceRuntime web, DesiredState? desired = null, long now = T0) =>
        new(Table, desired ?? DesiredState.AllUp(2), [db, web], now);

    private static ControlDecision Decide(ControlRequest req, SupervisorView view, ControlState? state = null) =>
        ControlDecisions.Decide(req, view, state ?? ControlState.Empty);

    private static JsonElement Json(string? reply)
    {
        Assert.NotNull(reply);
        return JsonDocument.Parse(reply).RootElement;
    }

    private static string Error(string? reply)
    {
        var json = Json(reply);
        Assert.False(json.GetProperty("ok").GetBoolean(), reply);
        return json.GetProperty("error").GetString()!;
    }

    private static string Message(string? reply)
    {
        var json = Json(reply);
        Assert.True(json.GetProperty("ok").GetBoolean(), reply);
        return json.GetProperty("message").GetString()!;
    }

    [Fact]
    public void Status_answers_at_once_with_every_service()
    {
        var d = Decide(new ControlRequest(ControlVerb.Status), View(Running(), Running(pid: 101)));
        var services = Json(d.Reply).GetProperty("services");
        Assert.Equal(["db", "web"], services.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(5000, services[0].GetProperty("uptimeMs").GetInt64());
        Assert.False(d.Changed);
        Assert.Empty(d.State.Waiters);
    }

    [Fact]
    public void An_unknown_service_is_a_bad_request_that_lists_the_services()
    {
        var d = Decide(new ControlRequest(ControlVerb.Stop, "wbe"), View(Running(), Running()));
        Assert.Equal(2, Json(d.Reply).GetProperty("code").GetInt32());
        Assert.Contains("the services are: db, web", Error(d.Reply));
    }

    [Fact]
    public void Stop_wants_the_service_down_and_waits_until_it_is()
    {
        var d = Decide(new ControlRequest(ControlVerb.Stop, "web"), View(Running(), Running()));
        Assert.Null(d.Reply);
        Assert.True(d.Changed);
        Assert.Equal([true, false], d.Desired.Up.ToArray());
        var w = Assert.Single(d.State.Waiters);
        Assert.Equal((1, ControlGoal.Down), (w.Service, w.Goal));
        Assert.Equal(T0 + 5000 + Reconciler.KillGraceMs + 5000, w.Deadline);
        Assert.Equal(Logging.EventNames.StopRequested, d.Event?.Event);

        // Not settled while it is stopping; settled once stopped.
        var stopping = Running() with { Phase = ServicePhase.Stopping };
        Assert.Empty(ControlDecisions.Settle(View(Running(), stopping, d.Desired), d.State).Answers);
        var settled = ControlDecisions.Settle(View(Running(), new ServiceRuntime { Phase = ServicePhase.Stopped,
            LastExit = ExitStatus.Killed(15) }, d.Desired), d.State);
        var (_, reply) = Assert.Single(settled.Answers);
        Assert.Equal("web: stopped (its last run ended with signal SIGTERM)", Message(reply));
        Assert.Empty(settled.State.Waiters);
    }

    [Fact]
    public void Stopping_what_is_stopped_answers_at_once_and_changes_nothing()
    {
        var desired = DesiredState.AllUp(2) with { Up = [true, false] };
        var d = Decide(new ControlRequest(ControlVerb.Stop, "web"), View(Running(), new ServiceRuntime { Phase = ServicePhase.Stopped },
            desired));
        Assert.Equal("web: already stopped", Message(d.Reply));
        Assert.False(d.Changed);
        Assert.Same(desired, d.Desired);
    }

    [Fact]
    public void A_second_request_on_a_service_being_stopped_is_refused()
    {
        var first = Decide(new ControlRequest(ControlVerb.Stop, "web"), View(Running(), Running()));
        var second = Decide(new ControlRequest(ControlVerb.Start, "web"), View(Running(), Running(), first.Desired), first.State);
        Assert.Contains("'web' is being stopped by another request", Error(second.Reply));
        // A stop in progress: tend wait would answer "stopped on request", so the hint is tend status.
        Assert.Contains("(tend status web shows it stopped), then try again", Error(second.Reply));
        Assert.DoesNotContain("tend wait", Error(second.Reply));
        Assert.Equal(first.Desired, second.Desired);
    }

    [Fact]
    public void A_second_restart_joins_the_one_in_progress_and_both_are_answered_by_its_new_run()
    {
        var first = Decide(new ControlRequest(ControlVerb.Restart, "db"), View(Running(starts: 3), Running()));
        var second = Decide(new ControlRequest(ControlVerb.Restart, "db"), View(Running(starts: 3) with { Phase = ServicePhase.Stopping },
            Running(), first.Desired), first.State);
        Assert.Null(second.Reply);
        Assert.Null(second.Event); // one restart, one "restart requested" line
        Assert.False(second.Changed);
        Assert.Equal(first.Desired, second.Desired);
        Assert.Equal(2, second.State.Waiters.Length);
        Assert.All(second.State.Waiters, w => Assert.Equal(3, w.StartsBefore));

        var stopped = ControlDecisions.Settle(View(new ServiceRuntime { Phase = ServicePhase.Stopped, Starts = 3 }, Running(),
            second.Desired), second.State);
        var ready = ControlDecisions.Settle(View(Running(starts: 4, pid: 200), Running(), stopped.Desired), stopped.State);
        Assert.Equal(2, ready.Answers.Length);
        Assert.All(ready.Answers, a => Assert.Equal("db: running (pid 200)", Message(a.Reply)));
    }

    [Fact]
    public void A_second_stop_joins_the_stop_in_progress()
    {
        var first = Decide(new ControlRequest(ControlVerb.Stop, "web"), View(Running(), Running()));
        var second = Decide(new ControlRequest(ControlVerb.Stop, "web"), View(Running(), Running() with { Phase = ServicePhase.Stopping },
            first.Desired), first.State);
        Assert.Null(second.Reply);
        Assert.Equal(2, second.State.Waiters.Length);
        var done = ControlDecisions.Settle(View(Running(), new ServiceRuntime { Phase = ServicePhase.Stopped }, first.Desired),
            second.State);
        Assert.Equal(2, done.Answers.Length);
    }

    [Fact]
    public void A_start_behind_a_failed_dependency_is_refused_and_names_it()
    {
        var failed = new ServiceRuntime { Phase = ServicePhase.Failed, Reason = "start limit" };
        var desired = DesiredState.AllUp(2) with { Up = [true, false] };
        var d = Decide(new ControlRequest(ControlVerb.Start, "web"), View(failed, new ServiceRuntime { Phase = ServicePhase.Stopped },
            desired));
        Assert.Equal("'web' depends on 'db' (failed): start it first", Error(d.Reply));
        Assert.False(d.Changed);
    }

    [Fact]
    public void Starting_a_failed_service_begins_it_afresh()
    {
        var d = Decide(new ControlRequest(ControlVerb.Start, "db"), View(new ServiceRuntime { Phase = ServicePhase.Failed, Reason = "x" },
            new ServiceRuntime()));
        Assert.Equal([0], d.Reopen.ToArray());
        Assert.True(d.Changed);
        Assert.Equal(ControlGoal.Up, Assert.Single(d.State.Waiters).Goal);
        Assert.Equal(ServicePhase.Stopped, Reconciler.OnReopened(new ServiceRuntime { Phase = ServicePhase.Failed, Reason = "x" }).Phase);
    }

    [Fact]
    public void Restart_stops_then_starts_again_and_answers_once_the_new_run_is_ready()
    {
        var d = Decide(new ControlRequest(ControlVerb.Restart, "db"), View(Running(starts: 3), Running()));
        Assert.Equal([false, true], d.Desired.Up.ToArray());
        Assert.Contains(0, d.State.RestartPending);

        // Still stopping: nothing changes.
        var stopping = ControlDecisions.Settle(View(Running(starts: 3) with { Phase = ServicePhase.Stopping }, Running(), d.Desired),
            d.State);
        Assert.False(stopping.Changed);
        Assert.Empty(stopping.Answers);

        // Stopped: wanted up again at once, the waiter still waits (the old run is not the new one).
        var stopped = ControlDecisions.Settle(View(new ServiceRuntime { Phase = ServicePhase.Stopped, Starts = 3 }, Running(), d.Desired),
            d.State);
        Assert.True(stopped.Changed);
        Assert.Equal([true, true], stopped.Desired.Up.ToArray());
        Assert.Empty(stopped.State.RestartPending);
        Assert.Empty(stopped.Answers);

        // The new run (a fourth start) is running: answered.
        var ready = ControlDecisions.Settle(View(Running(starts: 4, pid: 200), Running(), stopped.Desired), stopped.State);
        Assert.Equal("db: running (pid 200)", Message(Assert.Single(ready.Answers).Reply));
    }

    [Fact]
    public void A_waiting_request_times_out_at_its_deadline_and_says_so()
    {
        var req = new ControlRequest(ControlVerb.Wait, "web", timeout: TimeSpan.FromSeconds(2));
        var starting = Running() with { Phase = ServicePhase.Waiting };
        var d = Decide(req, View(Running(), starting));
        Assert.Equal(T0 + 2000, Assert.Single(d.State.Waiters).Deadline);
        Assert.Empty(ControlDecisions.Settle(View(Running(), starting, now: T0 + 1999), d.State).Answers);
        var late = ControlDecisions.Settle(View(Running(), starting, now: T0 + 2000), d.State);
        Assert.StartsWith("timed out: 'web' is waiting", Error(Assert.Single(late.Answers).Reply));
    }

    [Fact]
    public void Waiting_for_a_service_stopped_on_request_is_refused()
    {
        var desired = DesiredState.AllUp(2) with { Up = [true, false] };
        var d = Decide(new ControlRequest(ControlVerb.Wait, "web"), View(Running(), new ServiceRuntime { Phase = ServicePhase.Stopped },
            desired));
        Assert.Equal("'web' is stopped on request: start it first (tend start web)", Error(d.Reply));
    }

    [Fact]
    public void Nothing_starts_or_stops_while_Tend_shuts_down()
    {
        var desired = DesiredState.AllUp(2) with { ShuttingDown = true };
        var d = Decide(new ControlRequest(ControlVerb.Restart, "db"), View(Running(), Running(), desired));
        Assert.Equal("tend is shutting down: 'db' cannot be restarted now", Error(d.Reply));
        Assert.False(ControlDecisions.Health(View(Running(), Running(), desired)).Healthy);
    }

    [Fact]
    public void Signal_is_carried_out_only_for_a_running_service()
    {
        var refused = Decide(new ControlRequest(ControlVerb.Signal, "web", signal: 1), View(Running(),
            new ServiceRuntime { Phase = ServicePhase.Backoff }));
        Assert.Equal("'web' is not running (it is backoff): nothing to signal", Error(refused.Reply));
        Assert.Null(refused.Signal);
        var sent = Decide(new ControlRequest(ControlVerb.Signal, "web", signal: 1), View(Running(), Running()));
        Assert.Equal((1, 1), sent.Signal);
        Assert.Null(sent.Reply);
    }

    [Fact]
    public void Health_counts_every_service_critical_or_not_and_a_completed_run_is_not_down()
    {
        var table = new ServiceTable([S("db") with { Critical = true }, S("web"), S("keys") with { OneShot = true },
            S("setup") with { Restart = Restart.Never }]);
        var completed = new ServiceRuntime { Phase = ServicePhase.Completed };
        SupervisorView With(ServiceRuntime web) => new(table, DesiredState.AllUp(4), [Running(), web, completed, completed], T0);

        Assert.Equal((true, "healthy: 4 services are up"), ControlDecisions.Health(With(Running())));
        // A service that is not critical, stopped by request or failed, is down as much as a critical one.
        Assert.Equal((false, "unhealthy: web is stopped"),
            ControlDecisions.Health(With(new ServiceRuntime { Phase = ServicePhase.Stopped })));
        Assert.Equal((false, "unhealthy: web is failed"),
            ControlDecisions.Health(With(new ServiceRuntime { Phase = ServicePhase.Failed })));
        Assert.Equal((false, "unhealthy: db is backoff"),
            ControlDecisions.Health(new SupervisorView(table, DesiredState.AllUp(4), [new ServiceRuntime { Phase = ServicePhase.Backoff },
                Running(), completed, completed], T0)));
        // A one-shot still running (the set-up) is not up yet.
        Assert.Equal((false, "unhealthy: keys is starting"),
            ControlDecisions.Health(new SupervisorView(table, DesiredState.AllUp(4), [Running(), Running(), Running(), completed], T0)));
    }
}
