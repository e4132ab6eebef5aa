using System.Collections.Immutable;
using Tend.Logging;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>
/// The decisions of the control plane, as a pure function of (request, table, desired state, runtimes, desk state,
/// now): refusals, what to change, what waits and what is settled. Nothing here touches a process, a socket or the
/// clock, so every rule is unit-tested in milliseconds (ControlDecisionsTests); <see cref="ControlDesk"/> carries
/// the decisions out.
/// </summary>
internal static class ControlDecisions
{
    /// <summary>How long <c>start</c> and <c>wait</c> wait for readiness by default.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Decides one request.</summary>
    public static ControlDecision Decide(ControlRequest req, SupervisorView view, ControlState state)
    {
        var (table, desired, runtimes, now) = view;
        ControlDecision Answer(string reply, ControlEvent? evt = null) => new(desired, state) { Reply = reply, Event = evt };

        // What the processes use is read from /proc only for status, once for all the services shown.
        var usage = req.Verb == ControlVerb.Status ? view.Usage?.Invoke() : null;
        if (req.Verb == ControlVerb.Status && req.Service is null)
            return Answer(ControlReply.Ok($"{table.Count} service{(table.Count == 1 ? "" : "s")}", Enumerable.Range(0,
                table.Count).Select(i => Status(view, i, usage))));
        if (req.Verb == ControlVerb.Health)
        {
            var (healthy, why) = Health(view);
            return Answer(ControlReply.Ok(why, healthy: healthy));
        }

        var i = table.IndexOf(req.Service!);
        if (i < 0)
            return Answer(ControlReply.Error(2,
                $"no service is named '{req.Service}'; the services are: {string.Join(", ", table.Services.Select(s => s.Name))}"));
        var spec = table.Services[i];
        var r = runtimes[i];
        switch (req.Verb)
        {
            case ControlVerb.Status:
                return Answer(ControlReply.Ok(spec.Name, [Status(view, i, usage)]));
            case ControlVerb.Wait:
                if (!desired.Up[i] && !state.RestartPending.Contains(i))
                    return Answer(ControlReply.Error(1, $"'{spec.Name}' is stopped on request: start it first (tend start {spec.Name})"));
                return Wait(new ControlWaiter(req, i, ControlGoal.Ready, Deadline(req, now, ReadyTimeout)));
            case ControlVerb.Signal:
                if (r.Process is null || r.Phase != ServicePhase.Running)
                    return Answer(ControlReply.Error(1,
                        $"'{spec.Name}' is not running (it is {ServiceStatus.StateOf(spec, r)}): nothing to signal"));
                return new ControlDecision(desired, state) { Signal = (i, req.Signal) };
            case ControlVerb.Run:
                return Run(view, state, req, i);
        }

        // start, stop, restart
        if (desired.ShuttingDown)
            return Answer(ControlReply.Error(1, $"tend is shutting down: '{spec.Name}' cannot be {Past(req.Verb)} now"));
        // The same request while one is in progress joins it: both are answered when it is done (two operators, or a
        // retried client, asking for one restart get one restart).
        var goal = req.Verb switch { ControlVerb.Stop => ControlGoal.Down, ControlVerb.Start => ControlGoal.Up,
            _ => ControlGoal.Restarted };
        if (state.Waiters.FirstOrDefault(w => w.Service == i && w.Goal == goal && w.Request.Verb == req.Verb) is { } same)
            return Wait(same with { Request = req, Deadline = req.Timeout is null ? same.Deadline : Deadline(req, now, TimeSpan.Zero) });
        if (state.Waiters.FirstOrDefault(w => w.Service == i && w.Goal != ControlGoal.Ready) is { } busy)
            return Answer(ControlReply.Error(1, $"'{spec.Name}' is being {Past(busy.Request.Verb)} by another request: wait for it to " +
                "finish " + (busy.Request.Verb == ControlVerb.Stop ? $"(tend status {spec.Name} shows it stopped)"
                    : $"(tend wait {spec.Name})") +
                ", then try again"));
        switch (req.Verb)
        {
            case ControlVerb.Stop:
                if (!desired.Up[i] && r.IsDown) return Answer(ControlReply.Ok($"{spec.Name}: already stopped"));
                return Change(SetUp(desired, state, i, false), [], new ControlWaiter(req, i, ControlGoal.Down, Deadline(req, now,
                    spec.StopTimeout + TimeSpan.FromMilliseconds(Reconciler.KillGraceMs) + TimeSpan.FromSeconds(5))),
                    new ControlEvent(i, EventNames.StopRequested, "stop requested: it stays stopped until 'tend start'", r.Process?.Pid));
            case ControlVerb.Start:
                if (desired.Up[i] && Reconciler.IsReady(spec, r) && !spec.OneShot)
                    return Answer(ControlReply.Ok(spec.Schedule is null ? $"{spec.Name}: already running (pid {r.Process?.Pid})"
                        : $"{spec.Name}: already scheduled{NextRun(r)}"));
                if (CannotStart(view, i) is { } refusal) return Answer(refusal);
                return Change(SetUp(desired, state, i, true), [i], new ControlWaiter(req, i, ControlGoal.Up, Deadline(req, now,
                    ReadyTimeout)),
                    new ControlEvent(i, EventNames.StartRequested, "start requested", null));
            default: // restart
                {
                    if (spec.Schedule is not null)
                        return Answer(ControlReply.Error(1,
                            $"'{spec.Name}' is a scheduled task: 'tend run {spec.Name}' starts one run now; 'tend stop {spec.Name}' and " +
                                $"'tend start {spec.Name}' pause and resume its schedule"));
                    if (CannotStart(view, i) is { } blocked) return Answer(blocked);
                    var waiter = new ControlWaiter(req, i, ControlGoal.Restarted, Deadline(req, now,
                        spec.StopTimeout + TimeSpan.FromSeconds(30)), r.Starts);
                    var evt = new ControlEvent(i, EventNames.RestartRequested, "restart requested", r.Process?.Pid);
                    if (r.IsDown) return Change(SetUp(desired, state, i, true), [i], waiter, evt);
                    var (d, s) = SetUp(desired, state, i, false);
                    return Change((d, s with { RestartPending = s.RestartPending.Add(i) }), [], waiter, evt);
                }
        }

        ControlDecision Wait(ControlWaiter w) => new(desired, state with { Waiters = state.Waiters.Add(w) });

        static ControlDecision Change((DesiredState Desired, ControlState State) next, ImmutableArray<int> reopen, ControlWaiter w,
            ControlEvent evt) =>
            new(next.Desired, next.State with { Waiters = next.State.Waiters.Add(w) }) { Reopen = reopen, Event = evt, Changed = true };
    }

    /// <summary>
    /// <c>tend run NAME</c>: one run of a scheduled task now, when its schedule is active and no run is going (a run
    /// never overlaps another); the answer comes once the run started.
    /// </summary>
    private static ControlDecision Run(SupervisorView view, ControlState state, ControlRequest req, int i)
    {
        var (_, desired, runtimes, now) = view;
        var spec = view.Table.Services[i];
        var r = runtimes[i];
        ControlDecision Refuse(string why) => new(desired, state) { Reply = ControlReply.Error(1, why) };
        if (spec.Schedule is null)
            return Refuse($"'{spec.Name}' has no schedule: 'tend run' starts one run of a scheduled task (to start '{spec.Name}' again: " +
                $"tend restart {spec.Name})");
        if (desired.ShuttingDown) return Refuse($"tend is shutting down: '{spec.Name}' cannot run now");
        if (!desired.Up[i]) return Refuse($"the schedule of '{spec.Name}' is paused: resume it first (tend start {spec.Name})");
        if (r.Phase is ServicePhase.Running or ServicePhase.Cleaning or ServicePhase.Stopping)
            return Refuse($"'{spec.Name}' is running{(r.Process is { } p ? $" (pid {p.Pid})" : "")}: a run never overlaps another; try " +
                $"again once it completed");
        if (r.Phase != ServicePhase.Scheduled)
            return Refuse($"'{spec.Name}' is {ServiceStatus.StateOf(spec, r)}{(r.Reason is { } why ? $" ({why})" : "")}: it can run once " +
                $"its schedule is active");
        if (r.Schedule.RunRequested || state.Waiters.Any(w => w.Service == i && w.Goal == ControlGoal.Ran))
            return Refuse($"a run of '{spec.Name}' was asked for already and is about to start");
        var waiter = new ControlWaiter(req, i, ControlGoal.Ran, now + (long)RunStartTimeout.TotalMilliseconds, r.Starts);
        return new ControlDecision(desired, state with { Waiters = state.Waiters.Add(waiter) })
        {
            Event = new ControlEvent(i, EventNames.RunRequested, "run requested: starting one run now", null), Changed = true, RunNow = [i],
        };
    }

    /// <summary>How long <c>tend run</c> waits for the run to start (it starts in the next round: this bounds a stalled
    /// supervisor).</summary>
    public static readonly TimeSpan RunStartTimeout = TimeSpan.FromSeconds(10);

    private static string NextRun(ServiceRuntime r) => r.Schedule.NextDueAt is { } due ? $" (next run at {ScheduleRules.Format(due)})" : "";

    /// <summary>After a round: restarts whose stop is done start again; waiting requests that are settled (or timed out) get their
    /// answer.</summary>
    public static ControlDecision Settle(SupervisorView view, ControlState state)
    {
        var desired = view.Desired;
        if (state.RestartPending.IsEmpty && state.Waiters.IsEmpty) return new(desired, state);
        var changed = false;
        var reopen = ImmutableArray.CreateBuilder<int>();
        foreach (var i in state.RestartPending.Order())
            if (IsSettledDown(view.Runtimes[i]))
            {
                (desired, state) = SetUp(desired, state, i, true);
                reopen.Add(i);
                changed = true;
            }
        var answers = ImmutableArray.CreateBuilder<(ControlRequest, string)>();
        var waiting = ImmutableArray.CreateBuilder<ControlWaiter>();
        var runtimes = view.Runtimes;
        foreach (var i in reopen) runtimes = runtimes.SetItem(i, Reconciler.OnReopened(runtimes[i]));
        var settledView = view with { Desired = desired, Runtimes = runtimes };
        foreach (var w in state.Waiters)
        {
            if (Settle(w, settledView, state) is { } reply) answers.Add((w.Request, reply));
            else waiting.Add(w);
        }
        return new(desired, state with { Waiters = waiting.ToImmutable() }) { Reopen = reopen.ToImmutable(),
            Answers = answers.ToImmutable(), Changed = changed };
    }

    private static string? Settle(ControlWaiter w, SupervisorView view, ControlState state)
    {
        var spec = view.Table.Services[w.Service];
        var r = view.Runtimes[w.Service];
        var shown = ServiceStatus.StateOf(spec, r);
        if (w.Goal == ControlGoal.Ran)
        {
            if (r.Starts > w.StartsBefore)
                return r.Process is { } p && r.Phase == ServicePhase.Running ? ControlReply.Ok($"{spec.Name}: run started (pid {p.Pid})")
                    : r.Reason is { } cause ? ControlReply.Error(1, $"'{spec.Name}' could not run: {cause}")
                    : ControlReply.Ok($"{spec.Name}: run started and ended with {r.LastExit}");
            if (r.Phase is not ServicePhase.Scheduled) return ControlReply.Error(1, $"'{spec.Name}' is {shown} now: the run did not start");
        }
        var wantsUp = w.Goal is ControlGoal.Up or ControlGoal.Ready or ControlGoal.Restarted;
        if (w.Goal == ControlGoal.Down && IsSettledDown(r))
            return ControlReply.Ok($"{spec.Name}: {shown}{(r.LastExit is { } e ? $" (its last run ended with {e})" : "")}");
        if (wantsUp && (w.Goal != ControlGoal.Restarted || r.Starts > w.StartsBefore) && Reconciler.IsReady(spec, r))
            return ControlReply.Ok(spec.Schedule is not null ? $"{spec.Name}: scheduled{NextRun(r)}" : spec.OneShot
                ? $"{spec.Name}: completed"
                : $"{spec.Name}: running (pid {r.Process?.Pid}){(spec.Ready is { } c ? $", ready ({c})" : "")}");
        if (wantsUp && r.Phase == ServicePhase.Failed)
            return ControlReply.Error(1, w.Goal is ControlGoal.Up or ControlGoal.Restarted
                ? $"'{spec.Name}' ran again and failed: {r.Reason} (its output above, or tend status {spec.Name}, says why)"
                : $"'{spec.Name}' failed: {r.Reason}");
        if (wantsUp && r.Phase == ServicePhase.Completed)
            return ControlReply.Error(1,
                $"'{spec.Name}' ended{(r.LastExit is { } last ? $" with {last}" : "")} and its restart policy is {spec.Restart}");
        if (wantsUp && r.Phase == ServicePhase.Stopped && !view.Desired.Up[w.Service] && !state.RestartPending.Contains(w.Service))
            return ControlReply.Error(1, $"'{spec.Name}' was stopped by another request");
        if (wantsUp && r.Phase == ServicePhase.Waiting && Reconciler.BlockingDependencies(view.Table, view.Runtimes, w.Service).Any())
            return ControlReply.Error(1, $"'{spec.Name}' cannot start: a service it depends on is stopped or failed");
        if (view.Now < w.Deadline) return null;
        return ControlReply.Error(1,
            $"timed out: '{spec.Name}' is {shown}{(r.Reason is { } why ? $" ({why})" : "")}; give a longer --timeout, or see tend status");
    }

    /// <summary>
    /// Healthy when every service is up — critical or not, declared or given on the command line: a long-running one
    /// running and ready (its readiness check passed, a launcher's daemon found), a scheduled task with its schedule
    /// active, a one-shot task (or a service whose restart policy ended it after a clean exit) completed. A service
    /// stopped by request, failed, waiting, starting or backing off is down: the container does not do all it was
    /// started to do (Docker's HEALTHCHECK, a Swarm task, a Kubernetes probe judge the container, not one service).
    /// </summary>
    public static (bool Healthy, string Why) Health(SupervisorView view)
    {
        var (table, desired, runtimes, _) = view;
        if (desired.ShuttingDown) return (false, "tend is shutting down");
        if (desired.Draining) return (false, "tend is draining before it stops");
        var bad = Enumerable.Range(0, table.Count).Where(i => !IsUp(table.Services[i], runtimes[i])).ToList();
        if (bad.Count == 0)
            return (true, $"healthy: {table.Count} service{(table.Count == 1 ? " is" : "s are")} up");
        var what = string.Join(", ",
            bad.Select(i => $"{table.Services[i].Name} is {ServiceStatus.StateOf(table.Services[i], runtimes[i])}"));
        return (false, $"unhealthy: {what}");
    }

    /// <summary>Up for <see cref="Health"/>: ready, or completed (a run that ended cleanly and that its policy does not restart).
    /// The one rule of <c>tend health</c>, <c>/healthz</c>, <c>/healthz/NAME</c> and <c>tend_service_up</c>.</summary>
    public static bool IsUp(ServiceSpec spec, ServiceRuntime r) =>
        Reconciler.IsReady(spec, r) || (spec.Schedule is null && r.Phase == ServicePhase.Completed);

    /// <summary>
    /// The liveness level of <see cref="Health"/> (HTTP <c>/healthz?level=alive</c>): every service (the same set as
    /// <see cref="Health"/>) is alive (<see cref="IsAlive"/>), and Tend is not shutting down. Unlike readiness, a
    /// service still starting up, or draining, is alive.
    /// </summary>
    public static (bool Alive, string Why) Alive(SupervisorView view)
    {
        var (table, desired, runtimes, _) = view;
        if (desired.ShuttingDown) return (false, "tend is shutting down");
        var bad = Enumerable.Range(0, table.Count).Where(i => !IsAlive(table.Services[i], runtimes[i])).ToList();
        if (bad.Count == 0)
            return (true, $"alive: {table.Count} service{(table.Count == 1 ? " is" : "s are")} alive");
        return (false,
            $"not alive: {string.Join(", ", bad.Select(i => $"{table.Services[i].Name} " +
                $"is {ServiceStatus.StateOf(table.Services[i], runtimes[i])}{(runtimes[i].Unhealthy ? " (unhealthy)" : "")}"))}");
    }

    /// <summary>
    /// A service is alive while its process runs and is not being restarted as unhealthy, when it is a one-shot task
    /// that completed, or a scheduled task between runs; not while it waits, backs off, stops or failed.
    /// </summary>
    public static bool IsAlive(ServiceSpec spec, ServiceRuntime r) => r.Phase switch
    {
        ServicePhase.Running => !r.Unhealthy,
        ServicePhase.Completed => spec.Schedule is null,
        ServicePhase.Scheduled => true,
        _ => false,
    };

    /// <summary>Service <paramref name="i"/> as <c>tend status</c> shows it.</summary>
    /// <param name="view">The supervisor's state.</param>
    /// <param name="i">The service.</param>
    /// <param name="usage">What each service's processes use (<see cref="SupervisorView.Usage"/>), or null.</param>
    public static ServiceStatus Status(SupervisorView view, int i, ServiceUsage[]? usage = null)
    {
        var spec = view.Table.Services[i];
        var r = view.Runtimes[i];
        var running = r.Phase == ServicePhase.Running;
        return new ServiceStatus(spec.Name, ServiceStatus.StateOf(spec, r), r.Process?.Pid, running ? view.Now - r.StartedAt : null,
            r.Restarts, r.LastExit,
            Reconciler.IsReady(spec, r), spec.Ready?.ToString(), spec.Critical, r.Reason, ServiceStatus.HealthOf(spec, r), r.AliveReason)
        {
            Usage = r.Process is not null && usage is not null ? usage[i] : null,
            Runs = r.Starts,
            Schedule = spec.Schedule?.ToString(),
            NotifyStatus = running ? r.NotifyStatus : null,
            LastRun = r.Schedule.LastRunAt,
            NextDue = spec.Schedule is not null && r.Phase is not (ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Waiting)
                ? r.Schedule.NextDueAt : null,
        };
    }

    /// <summary>A start would wait forever behind a dependency that is stopped or failed: the refusal that says so, or null.</summary>
    private static string? CannotStart(SupervisorView view, int i)
    {
        var blocking = Reconciler.BlockingDependencies(view.Table, view.Runtimes, i).ToList();
        if (blocking.Count == 0) return null;
        var names = string.Join(", ",
            blocking.Select(d => $"'{view.Table.Services[d].Name}' ({ServiceStatus.StateOf(view.Table.Services[d], view.Runtimes[d])})"));
        return ControlReply.Error(1,
            $"'{view.Table.Services[i].Name}' depends on {names}: start {(blocking.Count == 1 ? "it" : "them")} first");
    }

    private static (DesiredState, ControlState) SetUp(DesiredState desired, ControlState state, int i, bool up) =>
        (desired.Up[i] == up ? desired : desired with { Up = desired.Up.SetItem(i, up) },
            state with { RestartPending = state.RestartPending.Remove(i) });

    private static long Deadline(ControlRequest req, long now,
        TimeSpan fallback) => now + (long)(req.Timeout ?? fallback).TotalMilliseconds;

    private static bool IsSettledDown(ServiceRuntime r) => r.Phase is ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed;

    private static string Past(ControlVerb verb) => verb switch
    {
        ControlVerb.Start => "started",
        ControlVerb.Stop => "stopped",
        _ => "restarted",
    };
}
