using Tend.Control;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>Control requests, carried out on the supervisor's thread like everything else.</summary>
public sealed partial class Supervisor
{
    /// <summary>What a waiting request waits for.</summary>
    private enum Goal { Down, Up, Restarted, Ready }

    private sealed record Waiter(ControlRequest Request, int Service, Goal Goal, long Deadline, int StartsBefore);

    private readonly List<Waiter> _waiters = [];
    private readonly HashSet<int> _restartPending = [];
    private ControlServer? _control;
    private volatile bool _acceptingRequests = true;

    /// <summary>Called on a connection's thread: hands the request to the supervisor's thread.</summary>
    private bool Submit(ControlRequest request)
    {
        if (!_acceptingRequests) return false;
        _inbox.Post(new Message(MessageKind.Control, Request: request));
        return true;
    }

    private void OpenControl()
    {
        if (_options.ControlSocket is not { } path) return;
        try
        {
            _control = ControlServer.Open(path, Submit);
        }
        catch (IOException e)
        {
            // Supervision does not depend on the socket: say plainly that control is off, and how to get it back.
            _log.Error($"control socket disabled: {e.Message}; 'tend status' and the other verbs will not work (give --control-socket PATH or set {ControlServer.PathVariable})");
        }
    }

    private void CloseControl()
    {
        _acceptingRequests = false;
        foreach (var w in _waiters) w.Request.Answer(ControlReply.Error(1, "tend is exiting"));
        _waiters.Clear();
        while (_inbox.TryTake(out var m, 0))
            m.Request?.Answer(ControlReply.Error(1, "tend is exiting"));
        _control?.Dispose();
    }

    private void HandleControl(ControlRequest req)
    {
        var now = Now;
        if (req.Verb == ControlVerb.Status)
        {
            if (req.Service is null)
            {
                req.Answer(ControlReply.Ok($"{_table.Count} service{(_table.Count == 1 ? "" : "s")}", Enumerable.Range(0, _table.Count).Select(i => Status(i, now))));
                return;
            }
        }
        if (req.Verb == ControlVerb.Health)
        {
            var (healthy, why) = Health();
            req.Answer(ControlReply.Ok(why, healthy: healthy));
            return;
        }

        var i = _table.IndexOf(req.Service!);
        if (i < 0)
        {
            req.Answer(ControlReply.Error(2, $"no service is named '{req.Service}'; the services are: {string.Join(", ", _table.Services.Select(s => s.Name))}"));
            return;
        }
        var spec = _table.Services[i];
        var r = _runtimes[i];
        switch (req.Verb)
        {
            case ControlVerb.Status:
                req.Answer(ControlReply.Ok(spec.Name, [Status(i, now)]));
                return;
            case ControlVerb.Wait:
                if (!_desired.Up[i] && !_restartPending.Contains(i))
                {
                    req.Answer(ControlReply.Error(1, $"'{spec.Name}' is stopped on request: start it first (tend start {spec.Name})"));
                    return;
                }
                AddWaiter(req, i, Goal.Ready, now, TimeSpan.FromSeconds(30));
                return;
            case ControlVerb.Signal:
                if (r.Process is not { } p || r.Phase != ServicePhase.Running)
                {
                    req.Answer(ControlReply.Error(1, $"'{spec.Name}' is not running (it is {ServiceStatus.StateOf(spec, r)}): nothing to signal"));
                    return;
                }
                var group = p.Pgid > 0 && Libc.kill(-p.Pgid, req.Signal) == 0;
                if (!group && Libc.kill(p.Pid, req.Signal) != 0)
                {
                    req.Answer(ControlReply.Error(1, $"cannot signal '{spec.Name}' (pid {p.Pid}): {Libc.ErrorText(Libc.LastError)}"));
                    return;
                }
                var target = group ? $"process group {p.Pgid}" : $"pid {p.Pid}";
                _log.Service(spec.Name, "signalled", $"sent {Signals.Name(req.Signal)} to {target} on request", p.Pid, restarts: r.Restarts);
                req.Answer(ControlReply.Ok($"{spec.Name}: sent {Signals.Name(req.Signal)} to {target}"));
                return;
        }

        // start, stop, restart
        if (_desired.ShuttingDown)
        {
            req.Answer(ControlReply.Error(1, $"tend is shutting down: '{spec.Name}' cannot be {Past(req.Verb)} now"));
            return;
        }
        if (_waiters.FirstOrDefault(w => w.Service == i && w.Goal != Goal.Ready) is { } busy)
        {
            req.Answer(ControlReply.Error(1, $"'{spec.Name}' is being {Past(busy.Request.Verb)} by another request: wait for it to finish (tend wait {spec.Name}), then try again"));
            return;
        }
        var before = r;
        switch (req.Verb)
        {
            case ControlVerb.Stop:
                if (!_desired.Up[i] && r.IsDown)
                {
                    req.Answer(ControlReply.Ok($"{spec.Name}: already stopped"));
                    return;
                }
                SetUp(i, false);
                _log.Service(spec.Name, "stop-requested", "stop requested: it stays stopped until 'tend start'", r.Process?.Pid, restarts: r.Restarts);
                AddWaiter(req, i, Goal.Down, now, spec.StopTimeout + TimeSpan.FromMilliseconds(Reconciler.KillGraceMs) + TimeSpan.FromSeconds(5));
                return;
            case ControlVerb.Start:
                if (_desired.Up[i] && Reconciler.IsReady(spec, r) && spec.OneShot is false)
                {
                    req.Answer(ControlReply.Ok($"{spec.Name}: already running (pid {r.Process?.Pid})"));
                    return;
                }
                if (!CanStart(req, i)) return;
                SetUp(i, true);
                Reopen(i);
                _log.Service(spec.Name, "start-requested", "start requested", restarts: r.Restarts);
                AddWaiter(req, i, Goal.Up, now, TimeSpan.FromSeconds(30));
                return;
            case ControlVerb.Restart:
                if (!CanStart(req, i)) return;
                _log.Service(spec.Name, "restart-requested", "restart requested", r.Process?.Pid, restarts: r.Restarts);
                if (r.IsDown)
                {
                    SetUp(i, true);
                    Reopen(i);
                }
                else
                {
                    SetUp(i, false);
                    _restartPending.Add(i);
                }
                AddWaiter(req, i, Goal.Restarted, now, spec.StopTimeout + TimeSpan.FromSeconds(30), before.Starts);
                return;
        }
    }

    private static string Past(ControlVerb verb) => verb switch
    {
        ControlVerb.Start => "started",
        ControlVerb.Stop => "stopped",
        _ => "restarted",
    };

    /// <summary>A start would wait forever behind a dependency that is stopped or failed: say so instead.</summary>
    private bool CanStart(ControlRequest req, int i)
    {
        var blocking = Reconciler.BlockingDependencies(_table, _runtimes, i).ToList();
        if (blocking.Count == 0) return true;
        var names = string.Join(", ", blocking.Select(d => $"'{_table.Services[d].Name}' ({ServiceStatus.StateOf(_table.Services[d], _runtimes[d])})"));
        req.Answer(ControlReply.Error(1, $"'{_table.Services[i].Name}' depends on {names}: start {(blocking.Count == 1 ? "it" : "them")} first"));
        return false;
    }

    /// <summary>A failed or completed service asked to start again begins afresh (stopped ones go through the reconciler).</summary>
    private void Reopen(int i)
    {
        var r = _runtimes[i];
        if (r.Phase is ServicePhase.Failed or ServicePhase.Completed)
            _runtimes = _runtimes.SetItem(i, r with { Phase = ServicePhase.Stopped, Reason = null, QuickFailures = [] });
    }

    private void SetUp(int i, bool up)
    {
        _restartPending.Remove(i);
        if (_desired.Up[i] != up) _desired = _desired with { Up = _desired.Up.SetItem(i, up) };
    }

    private void AddWaiter(ControlRequest req, int i, Goal goal, long now, TimeSpan fallback, int startsBefore = 0) =>
        _waiters.Add(new Waiter(req, i, goal, now + (long)(req.Timeout ?? fallback).TotalMilliseconds, startsBefore));

    /// <summary>After a round: restarts whose stop is done start again; waiting requests that are settled get their answer.</summary>
    private bool SettleRequests(long now)
    {
        if (_restartPending.Count == 0 && _waiters.Count == 0) return false; // the common case: nothing to settle
        var changed = false;
        foreach (var i in _restartPending.ToList())
            if (IsSettledDown(_runtimes[i]))
            {
                SetUp(i, true);
                Reopen(i);
                changed = true;
            }
        for (var k = _waiters.Count - 1; k >= 0; k--)
        {
            var w = _waiters[k];
            if (Settle(w, now) is not { } reply) continue;
            w.Request.Answer(reply);
            _waiters.RemoveAt(k);
        }
        return changed;
    }

    private string? Settle(Waiter w, long now)
    {
        var spec = _table.Services[w.Service];
        var r = _runtimes[w.Service];
        var state = ServiceStatus.StateOf(spec, r);
        switch (w.Goal)
        {
            case Goal.Down when IsSettledDown(r):
                return ControlReply.Ok($"{spec.Name}: {state}{(r.LastExit is { } e ? $" (its last run ended with {e})" : "")}");
            case Goal.Up or Goal.Ready or Goal.Restarted when (w.Goal != Goal.Restarted || r.Starts > w.StartsBefore) && Reconciler.IsReady(spec, r):
                return ControlReply.Ok(spec.OneShot ? $"{spec.Name}: completed" : $"{spec.Name}: running (pid {r.Process?.Pid}){(spec.Ready is { } c ? $", ready ({c})" : "")}");
            case Goal.Up or Goal.Ready or Goal.Restarted when r.Phase == ServicePhase.Failed:
                return ControlReply.Error(1, $"'{spec.Name}' failed: {r.Reason}");
            case Goal.Up or Goal.Ready or Goal.Restarted when r.Phase == ServicePhase.Completed:
                return ControlReply.Error(1, $"'{spec.Name}' ended{(r.LastExit is { } last ? $" with {last}" : "")} and its restart policy is {spec.Restart}");
            case Goal.Up or Goal.Ready or Goal.Restarted when r.Phase == ServicePhase.Stopped && !_desired.Up[w.Service] && !_restartPending.Contains(w.Service):
                return ControlReply.Error(1, $"'{spec.Name}' was stopped by another request");
            case Goal.Up or Goal.Ready or Goal.Restarted when r.Phase == ServicePhase.Waiting && Reconciler.BlockingDependencies(_table, _runtimes, w.Service).Any():
                return ControlReply.Error(1, $"'{spec.Name}' cannot start: a service it depends on is stopped or failed");
        }
        if (now < w.Deadline) return null;
        return ControlReply.Error(1, $"timed out: '{spec.Name}' is {state}{(r.Reason is { } why ? $" ({why})" : "")}; give a longer --timeout, or see tend status");
    }

    private static bool IsSettledDown(ServiceRuntime r) => r.Phase is ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed;

    private long? WaiterDeadline() => _waiters.Count == 0 ? null : _waiters.Min(w => w.Deadline);

    /// <summary>Every critical service (every service, when none is critical) must be ready: running and passing its check, or, for a one-shot task, completed.</summary>
    private (bool Healthy, string Why) Health()
    {
        if (_desired.ShuttingDown) return (false, "tend is shutting down");
        var critical = Enumerable.Range(0, _table.Count).Where(i => _table.Services[i].Critical).ToList();
        var considered = critical.Count > 0 ? critical : Enumerable.Range(0, _table.Count).ToList();
        var bad = considered.Where(i => !Reconciler.IsReady(_table.Services[i], _runtimes[i])).ToList();
        if (bad.Count == 0)
            return (true, $"healthy: {considered.Count} {(critical.Count > 0 ? "critical " : "")}service{(considered.Count == 1 ? " is" : "s are")} up");
        var what = string.Join(", ", bad.Select(i => $"{_table.Services[i].Name} is {ServiceStatus.StateOf(_table.Services[i], _runtimes[i])}"));
        return (false, $"unhealthy: {what}");
    }

    private ServiceStatus Status(int i, long now)
    {
        var spec = _table.Services[i];
        var r = _runtimes[i];
        var running = r.Phase == ServicePhase.Running;
        return new ServiceStatus(spec.Name, ServiceStatus.StateOf(spec, r), r.Process?.Pid, running ? now - r.StartedAt : null, r.Restarts, r.LastExit,
            Reconciler.IsReady(spec, r), spec.Ready?.ToString(), spec.Critical, r.Reason);
    }
}
