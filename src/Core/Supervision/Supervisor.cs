using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The supervisor's effects: it carries out the reconciler's actions and turns what the kernel reports (exits,
/// signals, /proc) into observations. One thread owns all state and spawns; the reaper (<see cref="Reaper"/>) reaps
/// every exit and reports those the supervisor relies on (<see cref="ReapFilter"/>).
/// <para>
/// Who owns what: this class owns the runtimes and the desired state, and changes them only through
/// <see cref="Reconciler"/>; <see cref="Probes"/> owns the checks in flight, <see cref="IRequestDesk"/> (the
/// control plane) what waits for an answer, <see cref="IdleTrim"/> when memory is given back,
/// <see cref="ServiceOutput"/> the services' pipes, <see cref="ReapFilter"/> what the reaper's thread may read.
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Run disposes what it owns (the probes) on its way out; a supervisor runs once, for the life of the process.")]
public sealed class Supervisor
{
    private static readonly int[] Forwarded = [Libc.SIGHUP, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGWINCH];

    private readonly ServiceTable _table;
    private readonly SupervisorOptions _options;
    private readonly Export.Drain? _drain;
    private readonly EventLog _log;
    private readonly Inbox _inbox = new();
    private readonly ReapFilter _filter = new();
    private readonly Spawner _spawner = new();
    private readonly int _self = Libc.getpid();
    private readonly int _selfGroup = Libc.getpgrp();
    private readonly Command[] _commands;
    private readonly Probes _probes;
    private readonly IdleTrim _trim = new();
    private ServiceOutput _output;
    private IRequestDesk? _requests;
    private Reaper? _reaper;
    private ImmutableArray<ServiceRuntime> _runtimes;
    private DesiredState _desired;
    private long _nextScanAt = long.MaxValue;

    private readonly RunLineage _lineage;

    /// <summary>Exits taken from the reaper in one batch (<see cref="ReapAll"/>).</summary>
    private readonly List<(int Pid, ExitStatus Status)> _reaped = [];

    /// <summary>Creates a supervisor for <paramref name="table"/>.</summary>
    /// <exception cref="ArgumentException">A service's user or group is unknown, or setpriv is missing (<see cref="ResolveCommand"/>).</exception>
    public Supervisor(ServiceTable table, SupervisorOptions options, EventLog log)
    {
        _table = table;
        _options = options;
        _drain = options.DrainDelay is { } drain ? new Export.Drain(drain) : null;
        _log = log;
        _runtimes = Enumerable.Repeat(new ServiceRuntime(), table.Count).ToImmutableArray();
        _desired = DesiredState.AllUp(table.Count);
        _lineage = new RunLineage(table.Count, _self, _selfGroup);
        _output = ServiceOutput.Inherited();
        _commands = [.. table.Services.Select(ResolveCommand)];
        _probes = new Probes(table, _spawner, log, () => _reaper!.Spawned());
    }

    /// <summary>
    /// Checks what can be checked before anything starts (users, setpriv), so bad settings stop Tend with a
    /// clear message instead of a service failing at run time.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown user or group, or setpriv missing.</exception>
    private Command ResolveCommand(ServiceSpec spec)
    {
        if (spec.User is null) return spec.Command;
        UserIdentity user;
        try { user = UserIdentity.Resolve(spec.User); }
        catch (ArgumentException e) { throw new ArgumentException($"service '{spec.Name}': {e.Message}"); }
        var setpriv = _spawner.Resolve("setpriv")
            ?? throw new ArgumentException($"service '{spec.Name}' runs as user '{spec.User}', which needs setpriv: install util-linux in the image");
        return Spawner.AsUser(spec.Command, user, setpriv);
    }

    /// <summary>A monotonic clock in milliseconds.</summary>
    private static long Now => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000);

    /// <summary>The wall clock, read only for scheduled tasks' due times (every wait is on <see cref="Now"/>).</summary>
    private static DateTimeOffset Wall => DateTimeOffset.UtcNow;

    private SupervisorView View => new(_table, _desired, _runtimes, Now);

    /// <summary>
    /// Hands a request (from the <see cref="IRequestDesk"/>'s own threads) to the supervisor's thread, where the desk
    /// handles it between rounds. Callable from any thread; true when posted.
    /// </summary>
    public bool Post(object request)
    {
        _inbox.Post(new Message(MessageKind.Request, Request: request));
        return true;
    }

    /// <summary>
    /// Runs Tend the way a container's init should: <paramref name="supervise"/> (which calls <see cref="Run"/>
    /// and ends the process with its code) runs on a thread of its own, which spawns the services, while the
    /// calling thread — the main thread, to which the kernel re-parents orphans — reaps. An orphan's exit is then
    /// found among the main thread's own children, without walking every service (<see cref="Reaper.Run"/>).
    /// Does not return.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal void RunAsInit(Action supervise)
    {
        _reaper = new Reaper(_filter.MustReport, ChildExited, ownThread: false);
        new Thread(() => supervise()) { Name = "tend-supervisor" }.Start();
        _reaper.Run();
    }

    private void ChildExited() => _inbox.Post(new Message(MessageKind.ChildExited));

    /// <summary>
    /// Runs until a requested stop or a fatal failure; returns Tend's exit code. Each round, like tini's main loop:
    /// plan (<see cref="Reconciler.Reconcile"/>), carry out the plan's actions, settle requests, find the next moment
    /// anything is due, wait for it or for a message (an exit, a signal, a request), and drain what came.
    /// </summary>
    /// <param name="requests">Where requests posted with <see cref="Post"/> are decided (the control plane), or null.</param>
    public int Run(IRequestDesk? requests = null)
    {
        _requests = requests;
        List<PosixSignalRegistration> registrations = [];
        try
        {
            if (!Prepare(out var failed)) return failed;
            registrations = RegisterSignals();
            while (true)
            {
                if (_drain?.Ended(Now) == true) BeginShutdown(0, "drained");
                // Plan.
                _lineage.NewRound();
                _probes.Poll(Now);
                ApplyChecks();
                var plan = Reconciler.Reconcile(_table, _desired, _runtimes, Now, Wall);
                LogQuietStops(_runtimes, plan.Next);
                LogSchedules(_runtimes, plan.Next);
                _runtimes = plan.Next;
                if (plan.ExitCode is { } code) return Exit(code);
                if (plan.ShutdownCode is { } shutdownCode)
                {
                    BeginShutdown(shutdownCode, shutdownCode == 0 ? "nothing left to supervise" : FailureSummary());
                    continue;
                }

                // Carry out.
                foreach (var action in plan.Actions) Execute(action);
                var changed = _requests is not null && Apply(_requests.Settle(View));
                if (ApplyChecks() | changed || plan.PlanAgain) continue;

                // Wait for the next moment anything is due, or a message; then drain what came.
                var wake = NextWake(plan);
                var timeout = wake == long.MaxValue ? -1 : (int)Math.Clamp(wake - Now, 0, int.MaxValue);
                _filter.Publish(_runtimes, _probes, _desired.ShuttingDown);
                _filter.Asleep();
                var took = _inbox.TryTake(out var message, timeout);
                _filter.Awake();
                if (took) Handle(message);
                while (_inbox.TryTake(out message, 0)) Handle(message);
                if (Now >= _nextScanAt) Scan();
                if (Now >= _lineage.NextLookAt) Look(Now);
            }
        }
        finally
        {
            _probes.Dispose();
            var unhandled = new List<object>();
            while (_inbox.TryTake(out var m, 0)) if (m.Request is { } r) unhandled.Add(r);
            _requests?.Close(unhandled);
            foreach (var r in registrations) r.Dispose();
            _filter.Asleep();
        }
    }

    /// <summary>Before the first round: becomes a subreaper, opens the services' output, starts reaping, adopts what already runs.</summary>
    private bool Prepare(out int failed)
    {
        failed = 1;
        if (_self != 1 && Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            _log.Error($"cannot become a child subreaper ({Libc.ErrorText(Libc.LastError)}): daemons' exits will only be seen by the /proc scan");
        if (_options.LogPrefix)
        {
            if (ServiceOutput.Prefixed(_table, out var problem) is not { } prefixed)
            {
                _log.Error(problem!);
                return false;
            }
            _output = prefixed;
        }
        _filter.Awake();
        _reaper ??= new Reaper(_filter.MustReport, ChildExited, ownThread: true);
        _log.Info($"supervising {_table.Count} service{(_table.Count == 1 ? "" : "s")} as pid {_self}{(_requests?.Description is { } d ? $"; {d}" : "")}");
        if (!RunMarks.Available)
            _log.Info("the hard limit of RLIMIT_RTTIME is below 2^63, so services cannot be followed by lineage: each is its process group (docker run --ulimit rttime=… lowers it; see docs/lineage.md)");
        if (_options.Adopt ?? _self == 1) AdoptRunning();
        return true;
    }

    /// <summary>The next moment (ms) anything is due: the plan's deadlines, checks and requests in flight, a look at a run starting up, the /proc scan, the idle trim.</summary>
    private long NextWake(Plan plan)
    {
        var now = Now;
        var wake = Math.Min(plan.WakeAt ?? long.MaxValue, Math.Min(_probes.NextDeadline(now), _requests?.NextDeadline ?? long.MaxValue));
        wake = Math.Min(Math.Min(wake, _lineage.NextWake()), _drain?.DueAt ?? long.MaxValue);
        if (_runtimes.Any(r => r.Process is { IsChild: false }))
        {
            if (_nextScanAt == long.MaxValue) _nextScanAt = now + (long)_options.ScanInterval.TotalMilliseconds;
            wake = Math.Min(wake, _nextScanAt);
        }
        else _nextScanAt = long.MaxValue;
        // Nothing due for a while (a scheduled task's next run is minutes away counts): memory can be given back.
        if (wake == long.MaxValue || wake - now > IdleTrim.DelayMs) _trim.Idle(now);
        var busy = _requests?.Busy ?? false;
        _trim.RunIfDue(now, busy);
        return Math.Min(wake, _trim.NextWake(busy));
    }

    /// <summary>Takes what a request desk decided: its desired state, and the services it begins afresh. True when it changed anything.</summary>
    private bool Apply(RequestOutcome outcome)
    {
        _desired = outcome.Desired;
        foreach (var i in outcome.Reopen) _runtimes = _runtimes.SetItem(i, Reconciler.OnReopened(_runtimes[i]));
        if (!outcome.RunNow.IsDefault)
            foreach (var i in outcome.RunNow) _runtimes = _runtimes.SetItem(i, ScheduleRules.OnRunRequested(_runtimes[i]));
        return outcome.Changed;
    }

    /// <summary>Records how the checks ended, for the runs still current. True when a service became ready (its dependents may start) or unhealthy.</summary>
    private bool ApplyChecks()
    {
        var any = false;
        foreach (var result in _probes.TakeResults())
        {
            var i = result.Service;
            var r = _runtimes[i];
            if (r.Phase != ServicePhase.Running || r.Starts != result.Starts) continue;
            var spec = _table.Services[i];
            if (result.Purpose == ProbePurpose.Ready)
            {
                if (!result.Passed || r.Ready) continue;
                _runtimes = _runtimes.SetItem(i, r = Reconciler.OnReady(r));
                any = true;
                _log.Service(spec.Name, EventNames.Ready, $"ready ({spec.Ready}) after {Duration.Format(TimeSpan.FromMilliseconds(Math.Max(0, Now - r.StartedAt)))}", r.Process?.Pid, restarts: r.Restarts);
                continue;
            }
            var next = Reconciler.OnAlive(spec, r, result.Passed, result.Reason);
            _runtimes = _runtimes.SetItem(i, next);
            if (next.Unhealthy)
            {
                any = true;
                _log.Service(spec.Name, EventNames.Unhealthy, $"unhealthy: its liveness check ({spec.Alive}) failed {next.AliveFailures} times in a row (last: {next.AliveReason}); restarting it", r.Process?.Pid, restarts: r.Restarts, reason: next.AliveReason, error: true);
            }
            else if (!result.Passed)
                _log.Service(spec.Name, EventNames.CheckFailed, $"liveness check ({spec.Alive}) failed ({next.AliveFailures} of {spec.Alive!.Failures}): {result.Reason}", r.Process?.Pid, restarts: r.Restarts, reason: result.Reason);
            else if (r.AliveFailures > 0)
                _log.Service(spec.Name, EventNames.Healthy, $"healthy again: its liveness check passed after {r.AliveFailures} failure{(r.AliveFailures == 1 ? "" : "s")} (last: {r.AliveReason})", r.Process?.Pid, restarts: r.Restarts, reason: r.AliveReason);
        }
        return any;
    }

    /// <summary>The last stage: what is left in the container (or of Tend's runs) is stopped, the services' output drained.</summary>
    private int Exit(int code)
    {
        var longest = _table.Services.IsEmpty ? 5000 : (long)_table.Services.Max(s => s.StopTimeout.TotalMilliseconds);
        new FinalSweep(_self, _log, WaitForExit).Run(longest);
        _output.Close();
        _log.Info($"exiting with code {code}");
        return code;
    }

    /// <summary>Services that never ran and were stopped before they started (waiting, or in backoff): a state change like any other.</summary>
    private void LogQuietStops(System.Collections.Immutable.ImmutableArray<ServiceRuntime> before, System.Collections.Immutable.ImmutableArray<ServiceRuntime> after)
    {
        for (var i = 0; i < before.Length; i++)
            if (before[i].Phase is ServicePhase.Waiting or ServicePhase.Backoff && after[i].Phase == ServicePhase.Stopped)
                _log.Service(_table.Services[i].Name, EventNames.Stopped, $"stopped before it {(before[i].Phase == ServicePhase.Waiting ? "started" : "restarted")}", restarts: after[i].Restarts);
    }

    /// <summary>
    /// Scheduled tasks: what a plan changed in their schedules, as events — a new due time (<c>scheduled</c>), a due time
    /// skipped (<c>skipped</c>), a schedule paused (<c>stopped</c>). Runs are logged where they start and end.
    /// </summary>
    private void LogSchedules(ImmutableArray<ServiceRuntime> before, ImmutableArray<ServiceRuntime> after)
    {
        for (var i = 0; i < before.Length; i++)
        {
            if (_table.Services[i].Schedule is not { } schedule) continue;
            var name = _table.Services[i].Name;
            var (b, a) = (before[i], after[i]);
            if (a.Schedule.Skipped > b.Schedule.Skipped && a.Schedule.LastSkip is { } skip)
                _log.Service(name, EventNames.Skipped, $"skipped the run due at {ScheduleRules.Format(skip.Due)}: {skip.Why}", a.Process?.Pid, restarts: a.Restarts);
            if (b.Phase == ServicePhase.Scheduled && a.Phase == ServicePhase.Stopped)
                _log.Service(name, EventNames.Stopped, "schedule paused: no run until 'tend start'", restarts: a.Restarts);
            var activated = a.Phase == ServicePhase.Scheduled && b.Phase is ServicePhase.Waiting or ServicePhase.Stopped;
            if (a.Schedule.NextDueAt != b.Schedule.NextDueAt || activated)
                _log.Service(name, EventNames.Scheduled, a.Schedule.NextDueAt is { } due ? $"next run at {ScheduleRules.Format(due)} ({schedule})" : $"no due time comes again ({schedule})", restarts: a.Restarts);
        }
    }

    private string FailureSummary()
    {
        var failed = Enumerable.Range(0, _table.Count).Where(i => _runtimes[i].Phase == ServicePhase.Failed).ToList();
        var critical = failed.Where(i => _table.Services[i].Critical).ToList();
        var names = string.Join(", ", (critical.Count > 0 ? critical : failed).Select(i => _table.Services[i].Name));
        return critical.Count > 0 ? $"critical service failed: {names}" : $"every service ended, and these failed: {names}";
    }

    private void BeginShutdown(int code, string why)
    {
        if (_desired.ShuttingDown) return;
        _log.Info($"stopping all services ({why})");
        _requests?.ShuttingDown(why);
        _desired = _desired with { ShuttingDown = true, ExitCode = code };
    }

    private List<PosixSignalRegistration> RegisterSignals()
    {
        var list = new List<PosixSignalRegistration>();
        // PosixSignal's named members are negative abstractions; other signals are passed as raw numbers.
        void On(PosixSignal registration, int signal)
        {
            list.Add(PosixSignalRegistration.Create(registration, ctx =>
            {
                ctx.Cancel = true;
                _inbox.Post(new Message(MessageKind.Signal, signal));
            }));
        }
        On(PosixSignal.SIGTERM, Libc.SIGTERM);
        On(PosixSignal.SIGINT, Libc.SIGINT);
        On(PosixSignal.SIGQUIT, Libc.SIGQUIT);
        On(PosixSignal.SIGHUP, Libc.SIGHUP);
        On((PosixSignal)Libc.SIGUSR1, Libc.SIGUSR1);
        On((PosixSignal)Libc.SIGUSR2, Libc.SIGUSR2);
        On((PosixSignal)Libc.SIGWINCH, Libc.SIGWINCH);
        return list;
    }

    private void Handle(Message message)
    {
        switch (message.Kind)
        {
            case MessageKind.ChildExited:
                ReapAll();
                break;
            case MessageKind.Request:
                if (_requests is null) break;
                Apply(_requests.Handle(message.Request!, View));
                _trim.Touched(Now);
                break;
            case MessageKind.Signal when Array.IndexOf(Forwarded, message.Value) >= 0:
                for (var i = 0; i < _table.Count; i++)
                    if (_runtimes[i].Process is { } p && _runtimes[i].Phase == ServicePhase.Running
                        && ProcessSignals.GroupElsePid(p.Pgid, p.Pid, message.Value, out var errno) is null && errno != Libc.ESRCH)
                        _log.Service(_table.Services[i].Name, EventNames.SignalError, $"cannot forward {Signals.Name(message.Value)} to pid {p.Pid}: {Libc.ErrorText(errno)}", p.Pid, error: true);
                break;
            case MessageKind.Signal when _desired.ShuttingDown && !_desired.Force:
                // A second SIGTERM/SIGINT (Ctrl-C twice): no more waiting for stop timeouts.
                _log.Info($"received {Signals.Name(message.Value)} again: killing what is still running");
                _desired = _desired with { Force = true };
                break;
            case MessageKind.Signal when _drain?.Begin(Now) == true:
                _log.Info($"received {Signals.Name(message.Value)}: not ready, stopping in {Duration.Format(_drain.Delay)} (--drain-delay)");
                _desired = _desired with { Draining = true };
                break;
            case MessageKind.Signal:
                BeginShutdown(0, $"received {Signals.Name(message.Value)}");
                break;
        }
    }

    private void ReapAll()
    {
        var now = Now;
        _reaped.Clear();
        while (_reaper!.TryTake(out var pid, out var status)) _reaped.Add((pid, status));
        // A hand-over looks for what a launcher left: the process table must be read after the launcher was reaped,
        // not before (exits reaped from now on come with a message of their own).
        _lineage.NewRound();
        foreach (var (pid, status) in _reaped)
        {
            var i = FindService(pid);
            if (i >= 0) OnTrackedExit(i, status, now);
            else if (_probes.Count > 0) _probes.OnExit(pid, status);
        }
        CheckGroups();
    }

    private int FindService(int pid)
    {
        for (var i = 0; i < _runtimes.Length; i++) if (_runtimes[i].Process?.Pid == pid) return i;
        return -1;
    }

    private void OnTrackedExit(int i, ExitStatus status, long now)
    {
        var spec = _table.Services[i];
        var r = _runtimes[i];
        var p = r.Process!;
        // A main process Tend did not start whose parent reaped it (pg_ctl under pg_ctlcluster) leaves no status. While
        // the launcher still runs, it has the last word again; once it is gone, the run hands over as after an exit 0.
        if (status.Unknown && r.Phase == ServicePhase.Running && r.Launcher is { } l && l.Pid != p.Pid && _lineage.Processes.Any(x => x.Pid == l.Pid && !x.Gone))
        {
            var detached = _lineage.HandOverCandidates(r, p.Pid, now);
            if (detached.Count > 0) HandOver(i, detached, $"pid {p.Pid} ended while its launcher (pid {l.Pid}) still runs");
            else
            {
                _runtimes = _runtimes.SetItem(i, Reconciler.OnDaemonized(r, l, now));
                _log.Service(spec.Name, EventNames.Daemonized, $"pid {p.Pid} ended while its launcher still runs; following the launcher (pid {l.Pid}) again", l.Pid);
            }
            return;
        }
        var handsOver = status.Success || (status.Unknown && now < r.StartupUntil);
        if (r.Phase == ServicePhase.Running && r.Mark != 0 && !spec.OneShot && spec.Schedule is null && handsOver && (p.Launched || now < r.StartupUntil))
        {
            // The main process exited 0 while its run started up (or it is the launcher itself): what it started is the service now.
            var candidates = _lineage.HandOverCandidates(r, p.Pid, now);
            if (candidates.Count > 0)
            {
                HandOver(i, candidates, p.Launched ? $"launcher (pid {p.Pid}) exited 0" : $"pid {p.Pid} ended while starting up");
                return;
            }
            if (p.Launched && now < r.StartupUntil)
            {
                _runtimes = _runtimes.SetItem(i, Reconciler.OnCompleted(r, status));
                _log.Service(spec.Name, EventNames.Completed, $"pid {p.Pid} exited 0 and left nothing running: completed", p.Pid, status, r.Restarts);
                return;
            }
        }
        if (r.Mark != 0 && spec.KillMode != KillMode.Process && (now < r.StartupUntil || spec.KillMode == KillMode.ControlGroup))
        {
            // What the run left is stopped before the next step, even what detached before Tend first looked (a
            // launcher that exits 3 right after `setsid -f mydaemon`). Once started up, the recorded groups are the
            // run's, and a restart reads no /proc (it stays on the millisecond path).
            var left = RunMembers(i, except: p.Pid);
            var groups = r.Groups;
            foreach (var m in left) groups = Reconciler.WithGroup(groups, m.Pgid);
            _runtimes = _runtimes.SetItem(i, r = Reconciler.OnGroupsSeen(r, groups));
        }
        var groupAlive = GroupsAlive(StopGroups(spec, r));
        var next = Reconciler.OnExited(spec, r, status, groupAlive, now);
        _runtimes = _runtimes.SetItem(i, next);
        var message = $"pid {p.Pid} exited with {status}";
        switch (next.Phase)
        {
            case ServicePhase.Backoff:
                var delay = Math.Max(0, next.NextStartAt - now);
                _log.Service(spec.Name, EventNames.Exited, message + (delay == 0 ? "; restarting now" : $"; restarting in {delay}ms"), p.Pid, status, next.Restarts, delay);
                break;
            case ServicePhase.Cleaning:
                _log.Service(spec.Name, EventNames.Exited, message + "; stopping what is left of it", p.Pid, status, next.Restarts);
                break;
            case ServicePhase.Failed:
                _log.Service(spec.Name, EventNames.Failed, message + $"; giving up: {next.Reason}", p.Pid, status, next.Restarts, error: true);
                break;
            case ServicePhase.Completed:
                _log.Service(spec.Name, EventNames.Completed, message, p.Pid, status, next.Restarts);
                break;
            case ServicePhase.Scheduled:
                _log.Service(spec.Name, EventNames.Completed, $"run (pid {p.Pid}) ended with {status}{NextRun(next)}", p.Pid, status, next.Restarts, error: !status.Success);
                break;
            default:
                _log.Service(spec.Name, next.Phase == ServicePhase.Stopped ? EventNames.Stopped : EventNames.Exited, message, p.Pid, status, next.Restarts);
                break;
        }
    }

    /// <summary>Makes the best of <paramref name="candidates"/> the service's main process (<see cref="RunLineage.Choose"/>).</summary>
    private void HandOver(int i, List<ProcStat> candidates, string why)
    {
        var spec = _table.Services[i];
        var r = _runtimes[i];
        var (chosen, daemon, groups) = _lineage.Choose(spec, r, candidates);
        if (r.Process is { } current && current.Pid == daemon.Pid) return;
        _runtimes = _runtimes.SetItem(i, Reconciler.OnDaemonized(Reconciler.OnGroupsSeen(r, groups), daemon, Now));
        _log.Service(spec.Name, EventNames.Daemonized, $"{why}; following pid {daemon.Pid} ({chosen.Comm}) of its lineage", daemon.Pid);
    }

    /// <summary>
    /// Looks at the lineage of every run that starts up: records its processes' groups, extends its start-up while
    /// new processes appear, and hands over from a launcher that still runs to a daemon that detached from it.
    /// </summary>
    private void Look(long now)
    {
        var next = long.MaxValue;
        var looked = false;
        for (var i = 0; i < _runtimes.Length; i++)
        {
            var r = _runtimes[i];
            if (!_lineage.IsWatched(i)) continue;
            if (r.Phase != ServicePhase.Running || r.Mark == 0)
            {
                _lineage.Unwatch(i);
                continue;
            }
            looked = true;
            var members = RunMembers(i, record: true);
            r = _runtimes[i];
            var (groups, seen, lastNew) = RunLineage.Seen(r, members, now);
            r = Reconciler.OnLineageSeen(r, groups, seen, lastNew, Lineage.StartupUntil(r.StartedAt, lastNew));
            _runtimes = _runtimes.SetItem(i, r);
            if (r.Process is { Launched: true } launcher && members.Any(m => m.Pid == launcher.Pid))
            {
                var detached = Lineage.Detached(members, launcher.Pid);
                if (detached.Count > 0) HandOver(i, detached, $"a process of its lineage detached while its launcher (pid {launcher.Pid}) still runs");
            }
            else if (r.Process is { IsChild: false, Launched: false } main && r.Launcher is not null)
            {
                // A main process found by lineage that is not Tend's child: its end is only seen in /proc.
                if (!members.Any(m => m.Pid == main.Pid && m.StartTime == main.StartTime)) OnTrackedExit(i, ExitStatus.Vanished, now);
                else if (_lineage.HandOverCandidates(r, main.Pid, now) is { Count: > 0 } better && better.Any(c => c.Ppid == _self))
                {
                    // A daemon re-parented to Tend appeared since (postgres after pg_ctl): it is the better main process.
                    better.Add(members.First(m => m.Pid == main.Pid));
                    HandOver(i, better, $"pid {main.Pid} still waits for what it started");
                }
            }
            r = _runtimes[i];
            // The last look is at the end of start-up, not after it (an idle Tend wakes for nothing).
            if (now < r.StartupUntil) next = Math.Min(next, Math.Min(Lineage.NextLook(r.StartedAt, now), r.StartupUntil));
            else _lineage.Unwatch(i);
        }
        _lineage.LookNextAt(next);
        if (looked && next == long.MaxValue)
        {
            // Every run has started up: give back what reading the process table touched, now rather than after a
            // delay that would wake an idle Tend once more.
            _trim.RunNow();
        }
    }

    /// <summary>
    /// The live processes of service <paramref name="i"/>'s run (<see cref="RunLineage.Members"/>); with
    /// <paramref name="record"/>, sessions its settled daemon started itself are recorded as foreign.
    /// </summary>
    private List<ProcStat> RunMembers(int i, bool record = false, int except = 0)
    {
        var r = _runtimes[i];
        var members = _lineage.Members(r, Now, out var foreign, except);
        if (record && foreign != r.ForeignSessions) _runtimes = _runtimes.SetItem(i, Reconciler.OnForeignSessions(r, foreign));
        return members;
    }

    private void CheckGroups()
    {
        for (var i = 0; i < _runtimes.Length; i++)
        {
            var r = _runtimes[i];
            if (r.Phase is ServicePhase.Cleaning or ServicePhase.Stopping && r.Process is null && !GroupsAlive(StopGroups(_table.Services[i], r)))
            {
                var next = Reconciler.OnGroupGone(r);
                _runtimes = _runtimes.SetItem(i, next);
                if (r.Phase == ServicePhase.Stopping)
                    _log.Service(_table.Services[i].Name, EventNames.Stopped, r.LastExit is { } last ? $"stopped (its main process ended with {last})" : "stopped", exit: r.LastExit, restarts: r.Restarts);
                else if (next.Phase == ServicePhase.Backoff)
                {
                    var delay = Math.Max(0, next.NextStartAt - Now);
                    if (delay > 0) _log.Service(_table.Services[i].Name, EventNames.Backoff, $"restarting in {delay}ms", delayMs: delay);
                }
                else if (next.Phase == ServicePhase.Failed)
                    _log.Service(_table.Services[i].Name, EventNames.Failed, $"what was left of it stopped; giving up: {next.Reason}", exit: r.LastExit, restarts: r.Restarts, error: true);
                else if (next.Phase == ServicePhase.Completed)
                    _log.Service(_table.Services[i].Name, EventNames.Completed, "what was left of it stopped; completed", exit: r.LastExit, restarts: r.Restarts);
                else if (next.Phase == ServicePhase.Scheduled)
                    _log.Service(_table.Services[i].Name, EventNames.Completed, $"what was left of its run stopped; the run ended with {r.LastExit}{NextRun(next)}", exit: r.LastExit, restarts: r.Restarts, error: r.LastExit is { Success: false });
            }
        }
    }

    private static string NextRun(ServiceRuntime r) => r.Schedule.NextDueAt is { } due ? $"; next run at {ScheduleRules.Format(due)}" : "";

    /// <summary>Whether any of <paramref name="groups"/> still has a process (one Tend may not signal counts too).</summary>
    private static bool GroupsAlive(ImmutableArray<int> groups)
    {
        foreach (var g in groups)
            if (g > 0 && (Libc.kill(-g, Libc.NoSignal) == 0 || Libc.LastError == Libc.EPERM)) return true;
        return false;
    }

    private void Execute(SupervisorAction action)
    {
        var spec = _table.Services[action.Service];
        var r = _runtimes[action.Service];
        switch (action.Kind)
        {
            case ActionKind.Start:
                {
                    var bootTicks = ProcFs.BootTicksNow();
                    var mark = RunMarks.Next();
                    var pid = _spawner.SpawnService(_commands[action.Service], spec, action.Service, _output.Pump, out var error, mark);
                    var now = Now;
                    if (pid == 0)
                    {
                        var next = Reconciler.OnSpawnFailed(spec, r, error!, now);
                        _runtimes = _runtimes.SetItem(action.Service, next);
                        if (next.Phase == ServicePhase.Failed)
                            _log.Service(spec.Name, EventNames.Failed, $"cannot start: {next.Reason}; giving up", restarts: next.Restarts, error: true);
                        else
                            _log.Service(spec.Name, EventNames.SpawnError, $"cannot start: {error}; retrying in {Math.Max(0, next.NextStartAt - now)}ms", restarts: next.Restarts, delayMs: Math.Max(0, next.NextStartAt - now), error: true);
                        return;
                    }
                    // Tend's own child: its pid cannot be reused before Tend reaps it, so a lower bound of its start time will do.
                    var started = Reconciler.OnStarted(r, new TrackedProcess(pid, bootTicks, pid, IsChild: true, Launched: true), now, mark);
                    _runtimes = _runtimes.SetItem(action.Service, started);
                    if (mark != 0)
                    {
                        _lineage.Watch(action.Service, now);
                    }
                    var what = spec.Schedule is not null ? $"run started{(r.Schedule.LastRunRequested ? " on request" : "")} (pid {pid})"
                        : r.Starts == 0 ? $"started (pid {pid})" : $"restarted (pid {pid}, restart {started.Restarts})";
                    _log.Service(spec.Name, EventNames.Started, what, pid, restarts: started.Restarts);
                    _reaper!.Spawned();
                    break;
                }
            case ActionKind.Check:
                _probes.Start(action.Service, ProbePurpose.Ready, r, Now);
                break;
            case ActionKind.Alive:
                _probes.Start(action.Service, ProbePurpose.Alive, r, Now);
                break;
            case ActionKind.Signal:
                SignalService(action.Service, action.Signal);
                break;
        }
    }

    /// <summary>
    /// Sends a stop signal (or SIGKILL) to the processes its kill mode reaches (<see cref="KillMode"/>): by default
    /// each of its run's process groups — its launcher's, and those its lineage had while starting up, looked up again
    /// now — or, for an adopted process in a group that is not its own, the process alone. Logs what happened, and a
    /// failure as an error (never "sent" for a signal that was not).
    /// </summary>
    private void SignalService(int i, int signal)
    {
        var spec = _table.Services[i];
        var r = _runtimes[i];
        var mainOnly = spec.KillMode == KillMode.Process || (spec.KillMode == KillMode.Mixed && signal != Libc.SIGKILL);
        var groups = mainOnly ? [] : StopGroups(spec, r);
        // While the run starts up, or when the kill mode is control-group, look at the process table: what started
        // since the last look is reached too. Once started up, the groups recorded then are the run's (what its
        // processes fork stays in them; later sessions are their own), and a stop costs no /proc read.
        if (r.Mark != 0 && spec.KillMode != KillMode.Process && (Now < r.StartupUntil || spec.KillMode == KillMode.ControlGroup))
        {
            var members = RunMembers(i);
            // Once started up, what the daemon started later in sessions of its own is not the service's (unless the
            // kill mode is control-group).
            if (Now >= r.StartupUntil && spec.KillMode != KillMode.ControlGroup) members = Lineage.InGroups(members, StopGroups(spec, r));
            var all = StopGroups(spec, r);
            foreach (var m in members) all = Reconciler.WithGroup(all, m.Pgid);
            _runtimes = _runtimes.SetItem(i, r = Reconciler.OnGroupsSeen(r, all));
            if (!mainOnly) groups = all;
        }
        var reached = new List<string>();
        var failed = new List<string>();
        // A stop signal is followed by SIGCONT, so that a stopped process (SIGSTOP, a hung service found by its liveness
        // check) gets it now rather than when something continues it: what systemd does (systemd.kill(5), SendSIGCONT).
        var thenContinue = signal is not (Libc.SIGKILL or Libc.SIGCONT) && r.Phase is ServicePhase.Stopping or ServicePhase.Cleaning;
        void Send(int target, string what)
        {
            if (Libc.kill(target, signal) != 0)
            {
                if (Libc.LastError != Libc.ESRCH) failed.Add($"{what} ({Libc.ErrorText(Libc.LastError)})");
                return;
            }
            reached.Add(what);
            // ESRCH: it ended between the two signals, which is what the stop signal asked of it.
            if (thenContinue) _ = Libc.kill(target, Libc.SIGCONT);
        }
        foreach (var g in groups) Send(-g, $"process group {g}");
        // The main process is always reached, even when it left every group the run had (setsid after start-up).
        if (r.Process is { } p && !(ProcFs.TryReadStat(p.Pid, out var st) && groups.Contains(st.Pgid)))
        {
            var leads = st.Pid == p.Pid && st.Pgid == p.Pid && !mainOnly && spec.KillMode != KillMode.Process;
            if (leads)
            {
                _runtimes = _runtimes.SetItem(i, r = Reconciler.OnGroupsSeen(r, Reconciler.WithGroup(r.Groups, p.Pid)));
                Send(-p.Pid, $"process group {p.Pid}");
            }
            else Send(p.Pid, $"pid {p.Pid}");
        }
        if (failed.Count > 0)
            _log.Service(spec.Name, EventNames.SignalError, $"cannot send {Signals.Name(signal)} to {string.Join(", ", failed)}", r.Process?.Pid, error: true);
        if (reached.Count == 0) return;
        var target = string.Join(", ", reached);
        if (signal == Libc.SIGKILL)
            _log.Service(spec.Name, EventNames.Killed, $"{(r.Phase == ServicePhase.Cleaning ? "what is left of it is" : "still")} running after {Signals.Name(spec.StopSignal)}: sent SIGKILL to {target}", r.Process?.Pid);
        else if (r.Phase == ServicePhase.Stopping)
            _log.Service(spec.Name, EventNames.Stopping, $"sent {Signals.Name(signal)} to {target}", r.Process?.Pid);
    }

    /// <summary>The process groups a stop waits for: the run's groups and the main process's own (none in kill mode process: only the main process counts).</summary>
    private static ImmutableArray<int> StopGroups(ServiceSpec spec, ServiceRuntime r) =>
        spec.KillMode == KillMode.Process ? [] : r.Process is { } main ? Reconciler.WithGroup(r.Groups, main.Pgid) : r.Groups;

    /// <summary>Waits at most <paramref name="ms"/> for an exit of Tend's children (every exit is reported while shutting down), and reaps what came.</summary>
    private void WaitForExit(int ms)
    {
        _filter.Asleep();
        var took = _inbox.TryTake(out var message, ms);
        _filter.Awake();
        if (took && message.Kind == MessageKind.ChildExited) while (_reaper!.TryTake(out _, out _)) { }
    }

    private void AdoptRunning()
    {
        var taken = new HashSet<int>();
        // Not root: never another user's process.
        long? uid = Libc.geteuid() == 0 ? null : Libc.geteuid();
        for (var i = 0; i < _table.Count; i++)
        {
            var spec = _table.Services[i];
            if (spec.OneShot || spec.Schedule is not null) continue;
            var found = ProcFs.FindByName(spec.EffectiveMatchName, _self, taken, uid).OrderBy(s => s.StartTime).FirstOrDefault();
            if (found.Pid == 0) continue;
            taken.Add(found.Pid);
            // Only a group the process leads is its own to signal; an adopted process started from a shell shares the shell's.
            var process = new TrackedProcess(found.Pid, found.StartTime, found.Pgid == found.Pid && found.Pgid != _selfGroup ? found.Pgid : 0, IsChild: found.Ppid == _self, Launched: false);
            _runtimes = _runtimes.SetItem(i, Reconciler.OnStarted(_runtimes[i], process, Now));
            _log.Service(spec.Name, EventNames.Adopted, $"already running as pid {found.Pid}; adopted instead of starting another", found.Pid);
        }
    }

    /// <summary>The safety net: tracked processes that are not Tend's children are checked in /proc.</summary>
    private void Scan()
    {
        var now = Now;
        _nextScanAt = now + (long)_options.ScanInterval.TotalMilliseconds;
        for (var i = 0; i < _runtimes.Length; i++)
        {
            if (_runtimes[i].Process is not { IsChild: false } p) continue;
            if (ProcFs.TryReadStat(p.Pid, out var st) && st.StartTime == p.StartTime && st.State is not ('Z' or 'X')) continue;
            OnTrackedExit(i, ExitStatus.Vanished, now);
        }
        CheckGroups();
    }
}
