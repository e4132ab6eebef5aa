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
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "Run disposes what it owns (the probes) on its way out; a supervisor runs once, for the life of the process.")]
internal sealed class Supervisor
{
    private readonly ServiceTable _table;

    /// <summary>Tend's stdin is a terminal: the service that reads it holds it (<see cref="TendSignals.Reaches"/>).</summary>
    private readonly bool _terminal = Posix.Libc.isatty(0) == 1;

    /// <summary>The services said to wait for a failed dependency (<see cref="ServiceEvents.BlockedChanges"/>).</summary>
    private readonly HashSet<int> _blocked = [];
    private readonly SupervisorOptions _options;
    private readonly Drain? _drain;
    private readonly EventLog _log;
    private readonly Inbox _inbox = new();
    private readonly ReapFilter _filter = new();
    private readonly Spawner _spawner = new();
    private readonly int _self = Libc.getpid();
    private readonly int _selfGroup = Libc.getpgrp();
    private readonly Command[] _commands;
    private readonly Probes _probes;
    private readonly IdleTrim _trim = new();
    private readonly Notify.NotifyDesk? _notify;
    private readonly Notify.SelfNotifier? _selfNotify;
    private ServiceOutput _output;
    private IRequestDesk? _requests;
    private Reaper? _reaper;
    private ImmutableArray<ServiceRuntime> _runtimes;
    private DesiredState _desired;
    private long _nextScanAt = long.MaxValue;
    /// <summary>The last batch of notify datagrams did not empty the socket: another batch is read next round, without waiting.</summary>
    private bool _notifyMore;
    private readonly RunTracker _runs;

    /// <summary>The state at the end of the latest round, for readers on other threads (<see cref="Latest"/>).</summary>
    private volatile System.Runtime.CompilerServices.StrongBox<SupervisorView>? _published;

    /// <summary>Exits taken from the reaper in one batch (<see cref="ReapAll"/>).</summary>
    private readonly List<(int Pid, ExitStatus Status)> _reaped = [];

    /// <summary>Creates a supervisor for <paramref name="table"/>.</summary>
    /// <exception cref="ArgumentException">A service's user or group is unknown, or setpriv is missing
    /// (<see cref="ResolveCommand"/>).</exception>
    public Supervisor(ServiceTable table, SupervisorOptions options, EventLog log)
    {
        _table = table;
        _options = options;
        _drain = options.DrainDelay is { } drain ? new Drain(drain) : null;
        _log = log;
        _runtimes = Enumerable.Repeat(new ServiceRuntime(), table.Count).ToImmutableArray();
        _desired = DesiredState.AllUp(table.Count);
        _runs = new RunTracker(table, log, _self, _selfGroup, () => Now);
        _output = ServiceOutput.Inherited();
        _selfNotify = Notify.SelfNotifier.FromEnvironment(log);
        try { _notify = Notify.NotifyDesk.Open(table, log, () => _inbox.Post(new Message(MessageKind.Notify))); }
        catch (Sockets.SocketFailure e)
        {
            throw new ArgumentException("services declared with notify readiness or a watchdog need a notify socket, and " +
                PlainMessage.Of(e));
        }
        // A service that reads the container's terminal writes to it too (an interactive shell).
        var terminal = Libc.isatty(0) == 1;
        Logs = new ServiceLogs([.. table.Services.Select(s => s.Stdin && terminal ? 0 : s.LogBuffer ?? options.LogBuffer)],
            [.. table.Services.Select(s => s.Ready)]) { Prefixed = options.LogPrefix };
        _commands = [.. table.Services.Select(ResolveCommand)];
        _probes = new Probes(table, _spawner, log, () => _reaper!.Spawned(), _notify) { Logs = Logs };
    }

    /// <summary>
    /// Checks what can be checked before anything starts (users, setpriv), so bad settings stop Tend with a
    /// clear message instead of a service failing at run time.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown user or group, or setpriv missing.</exception>
    private Command ResolveCommand(ServiceSpec spec)
    {
        var command = _notify?.Environment(spec, spec.Command) ?? spec.Command;
        if (spec.User is null) return command;
        UserIdentity user;
        try { user = UserIdentity.Resolve(spec.User); }
        catch (ArgumentException e) { throw new ArgumentException($"service '{spec.Name}': {PlainMessage.Of(e)}"); }
        var setpriv = _spawner.Resolve("setpriv")
            ?? throw new ArgumentException($"service '{spec.Name}' runs as user '{spec.User}', which needs setpriv: install util-linux " +
                $"in the image");
        return Spawner.AsUser(command, user, setpriv);
    }

    /// <summary>The services' recent output (<c>tend logs</c>), kept by the relay while they run.</summary>
    public ServiceLogs Logs { get; }

    /// <summary>
    /// After <see cref="Run"/>: the service whose failure ended Tend — a critical one that failed for good, else the
    /// first that failed — with how its last run ended and why it failed; null when none failed.
    /// </summary>
    public (int Service, ExitStatus? Exit, string? Reason)? Failure()
    {
        var failed = Enumerable.Range(0, _table.Count).Where(i => _runtimes[i].Phase == ServicePhase.Failed).ToList();
        if (failed.Count == 0) return null;
        var i = failed.FirstOrDefault(k => _table.Services[k].Critical, failed[0]);
        return (i, _runtimes[i].LastExit, _runtimes[i].Reason);
    }

    /// <summary>A monotonic clock in milliseconds.</summary>
    internal static long Now => MonotonicClock.NowMs;

    /// <summary>The wall clock, read only for scheduled tasks' due times (every wait is on <see cref="Now"/>).</summary>
    private static DateTimeOffset Wall => DateTimeOffset.UtcNow;

    private SupervisorView View => new(_table, _desired, _runtimes, Now) { SignalMain = SignalMain, Usage = Usage };

    private ServiceUsage[] Usage() => ServiceUsage.Measure(_runtimes);

    /// <summary>
    /// What the supervisor knew when it last went to wait, for readers on other threads (the HTTP endpoint): immutable,
    /// so they read it without a lock and without waking the supervisor; its <c>Now</c> is when it was published. Null
    /// before the first round, and always without <see cref="SupervisorOptions.PublishState"/>. It is replaced only when
    /// the desired state or a runtime changed: an idle Tend allocates nothing for it.
    /// </summary>
    public SupervisorView? Latest => _published?.Value;

    private void PublishLatest()
    {
        if (!_options.PublishState) return;
        if (_published is { } p && p.Value.Runtimes == _runtimes && ReferenceEquals(p.Value.Desired, _desired)) return;
        _published = new(new SupervisorView(_table, _desired, _runtimes, Now));
    }

    private (string? Reached, string? Error) SignalMain(int i, int signal)
    {
        _runs.NewRound();
        var reached = _runs.SignalMain(i, _runtimes[i], signal, out var error);
        return (reached, error);
    }

    /// <summary>
    /// Hands a request (from the <see cref="IRequestDesk"/>'s own threads) to the supervisor's thread, where the desk
    /// decides it between rounds (or refuses it when Tend exits first). Callable from any thread.
    /// </summary>
    public void Post(IPostedRequest request) => _inbox.Post(new Message(MessageKind.Request, Request: request));

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
            registrations = TendSignals.Register(signal => _inbox.Post(new Message(MessageKind.Signal, Signal: signal)));
            while (true)
            {
                if (_drain?.Ended(Now) == true) BeginShutdown(0, "drained");
                // Plan.
                _runs.NewRound();
                _probes.Poll(Now);
                ApplyChecks();
                var plan = Reconciler.Reconcile(_table, _desired, _runtimes, Now, Wall);
                ServiceEvents.PlanChanges(_table, _log, _runtimes, plan.Next);
                ServiceEvents.BlockedChanges(_table, _log, plan.Next, _blocked);
                _runtimes = plan.Next;
                if (plan.ExitCode is { } code) return Exit(code);
                if (plan.ShutdownCode is { } shutdownCode)
                {
                    BeginShutdown(shutdownCode, shutdownCode == 0 ? ServiceEvents.EndSummary(_table, _runtimes)
                        : ServiceEvents.FailureSummary(_table, _runtimes));
                    continue;
                }

                // Carry out.
                foreach (var action in plan.Actions) Execute(action);
                var changed = _requests is not null && Apply(_requests.Settle(View));
                if (ApplyChecks() | changed || plan.PlanAgain) continue;

                // Wait for the next moment anything is due, or a message; then drain what came.
                var wake = NextWake(plan);
                var timeout = _notifyMore ? 0 : wake == long.MaxValue ? -1 : (int)Math.Clamp(wake - Now, 0, int.MaxValue);
                PublishLatest();
                _filter.Publish(_runtimes, _probes, _desired.ShuttingDown);
                _filter.Asleep();
                var took = _inbox.TryTake(out var message, timeout);
                _filter.Awake();
                if (took) Handle(message);
                while (_inbox.TryTake(out message, 0)) Handle(message);
                if (_notifyMore) Handle(new Message(MessageKind.Notify)); // the next batch of a flood, once per round
                if (Now >= _nextScanAt) Scan();
                if (Now >= _runs.NextLookAt && _runs.FollowStartups(ref _runtimes, Now))
                {
                    // Every run has started up: give back what reading the process table touched, now rather than after
                    // a delay that would wake an idle Tend once more.
                    _trim.RunNow();
                }
            }
        }
        finally
        {
            _probes.Dispose();
            _notify?.Dispose();
            _runs.Dispose();
            while (_inbox.TryTake(out var m, 0)) m.Request?.Refuse("tend is exiting");
            _requests?.Close();
            foreach (var r in registrations) r.Dispose();
            _filter.Asleep();
        }
    }

    /// <summary>Before the first round: becomes a subreaper, opens the services' output, starts reaping, adopts what already
    /// runs.</summary>
    private bool Prepare(out int failed)
    {
        failed = 1;
        if (_self != 1 && Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            _log.Error($"cannot become a child subreaper ({Libc.ErrorText(Libc.LastError)}): daemons' exits will only be seen by the " +
                $"/proc scan");
        if (_options.LogPrefix || Logs.KeepsAny)
        {
            if (ServiceOutput.Relayed(_table, _options.LogPrefix, Logs, out var problem) is not { } relayed)
            {
                _log.Error(problem!);
                return false;
            }
            _output = relayed;
        }
        _filter.Awake();
        _reaper ??= new Reaper(_filter.MustReport, ChildExited, ownThread: true);
        _log.Info($"supervising {_table.Count} service{(_table.Count == 1 ? "" : "s")} as " +
            $"pid {_self}{(_requests?.Description is { } d ? $"; {d}" : "")}");
        if (!RunMarks.Available)
            _log.Info("the hard limit of RLIMIT_RTTIME is below 2^63, so services cannot be followed by lineage: each is its process " +
                "group (docker run --ulimit rttime=… lowers it; see docs/lineage.md)");
        if (_options.Adopt ?? _self == 1) _runs.AdoptRunning(ref _runtimes, Now);
        return true;
    }

    /// <summary>The next moment (ms) anything is due: the plan's deadlines, checks and requests in flight, a look at a run starting up, the
    /// /proc scan, the idle trim.</summary>
    private long NextWake(Plan plan)
    {
        var now = Now;
        var wake = Math.Min(plan.WakeAt ?? long.MaxValue, Math.Min(_probes.NextDeadline(now), _requests?.NextDeadline ?? long.MaxValue));
        wake = Math.Min(Math.Min(wake, _runs.NextWake()), _drain?.DueAt ?? long.MaxValue);
        wake = Math.Min(wake, _selfNotify?.NextWake ?? long.MaxValue);
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

    /// <summary>Takes what a request desk decided: its desired state, and the services it begins afresh. True when it changed
    /// anything.</summary>
    private bool Apply(RequestOutcome outcome)
    {
        _desired = outcome.Desired;
        foreach (var i in outcome.Reopen) _runtimes = _runtimes.SetItem(i, Reconciler.OnReopened(_runtimes[i]));
        if (!outcome.RunNow.IsDefault)
            foreach (var i in outcome.RunNow) _runtimes = _runtimes.SetItem(i, ScheduleRules.OnRunRequested(_runtimes[i]));
        return outcome.Changed;
    }

    /// <summary>Records how the checks ended (<see cref="ServiceEvents.ApplyChecks"/>), the ones Tend polls and what services
    /// said over sd_notify. True when a service became ready or unhealthy.</summary>
    private bool ApplyChecks()
    {
        var results = _probes.TakeResults();
        if (_notify is not null) results.AddRange(_notify.TakeResults());
        var changed = ServiceEvents.ApplyChecks(_table, _log, results, ref _runtimes, Now);
        _selfNotify?.Update(View);
        return changed;
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

    private void BeginShutdown(int code, string why)
    {
        if (_desired.ShuttingDown) return;
        _log.Info($"stopping all services ({why})");
        _selfNotify?.Stopping(why);
        _requests?.ShuttingDown(why);
        _desired = _desired with { ShuttingDown = true, ExitCode = code };
    }

    /// <summary>
    /// One message from the inbox. For a signal the order of the cases is the rule: a forwarded signal (SIGHUP…) goes
    /// to the services and never stops anything; a second stop signal during a shutdown forces it (no more stop
    /// timeouts); the first stop signal with <c>--drain-delay</c> begins the drain (not ready, stop later); any other
    /// stop signal begins the shutdown. A request is decided by its desk, and its outcome applied before the next plan.
    /// </summary>
    private void Handle(Message message)
    {
        switch (message.Kind)
        {
            case MessageKind.ChildExited:
                ReapAll();
                break;
            case MessageKind.Notify when _notify is not null:
                // At most a batch per round: a flood is read between the rest of the supervisor's work.
                _notifyMore = _notify.Drain(ref _runtimes, Now, _self);
                if (!_notifyMore) _notify.Drained();
                break;
            case MessageKind.Request:
                if (_requests is null) break;
                Apply(message.Request!.Decide(View));
                _trim.Touched(Now);
                break;
            case MessageKind.Signal when TendSignals.IsForwarded(message.Signal):
                _runs.NewRound();
                for (var i = 0; i < _table.Count; i++)
                    if (TendSignals.Reaches(message.Signal, _table.Services[i], _terminal))
                        _runs.Forward(i, _runtimes[i], message.Signal, $"forwarded Tend's {Signals.Name(message.Signal)}");
                break;
            case MessageKind.Signal when _desired.ShuttingDown && !_desired.Force:
                // A second SIGTERM/SIGINT (Ctrl-C twice): no more waiting for stop timeouts.
                _log.Info($"received {Signals.Name(message.Signal)} again: killing what is still running");
                _desired = _desired with { Force = true };
                break;
            case MessageKind.Signal when _drain?.Begin(Now) == true:
                _log.Info($"received {Signals.Name(message.Signal)}: not ready, stopping " +
                    $"in {Duration.Format(_drain.Delay)} (--drain-delay)");
                _desired = _desired with { Draining = true };
                break;
            case MessageKind.Signal:
                BeginShutdown(0, $"received {Signals.Name(message.Signal)}");
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
        _runs.NewRound();
        var tracked = false;
        foreach (var (pid, status) in _reaped)
        {
            var i = FindService(pid);
            if (i >= 0)
            {
                tracked = true;
                _runs.Reaped(pid, status);
                _runtimes = _runtimes.SetItem(i, _runs.OnExit(i, _runtimes[i], pid, status, now));
            }
            else if (_probes.Count > 0) _probes.OnExit(pid, status);
        }
        _runs.CheckLeftovers(ref _runtimes, now);
        if (tracked) _runs.Retain(_runtimes);
    }

    /// <summary>The service whose main process or launcher <paramref name="pid"/> is, or -1.</summary>
    private int FindService(int pid)
    {
        for (var i = 0; i < _runtimes.Length; i++)
            if (_runtimes[i].Run.Main?.Pid == pid || _runtimes[i].Run.Launcher?.Pid == pid) return i;
        return -1;
    }

    /// <summary>
    /// Carries out one action of the round's plan. The runtime is read again for each action (an earlier one in the same
    /// plan may have changed it); a check is only started here — <see cref="Probes"/> runs it without blocking this
    /// thread, and its result is taken in a later round. A start that fails is logged and backed off like a crash.
    /// </summary>
    private void Execute(SupervisorAction action)
    {
        var spec = _table.Services[action.Service];
        var r = _runtimes[action.Service];
        switch (action.Kind)
        {
            case ActionKind.Start:
                Start(action.Service, spec, r);
                break;
            case ActionKind.ReadyCheck:
                _probes.Start(action.Service, ProbePurpose.Ready, r, Now);
                break;
            case ActionKind.AliveCheck:
                _probes.Start(action.Service, ProbePurpose.Alive, r, Now);
                break;
            case ActionKind.Signal:
                _runtimes = _runtimes.SetItem(action.Service, _runs.Signal(action.Service, r, action.Signal, Now));
                break;
        }
    }

    private void Start(int i, ServiceSpec spec, ServiceRuntime r)
    {
        var bootTicks = ProcFs.BootTicksNow();
        var mark = RunMarks.Next();
        var pid = _spawner.SpawnService(_commands[i], spec, i, _output.Pump, out var error, mark, run: r.Starts + 1);
        var now = Now;
        if (pid == 0)
        {
            var next = _spawner.LastWasShortage ? Reconciler.OnSpawnShortage(spec, r, error!, now) : Reconciler.OnSpawnFailed(spec, r,
                error!, now);
            _runtimes = _runtimes.SetItem(i, next);
            var delay = Math.Max(0, next.NextStartAt - now);
            if (Transitions.Describe(TransitionCause.SpawnFailed, next.Phase, new TransitionFacts(error!, null, delay, next.Reason, "",
                r.Phase)) is { } e)
                _log.Service(spec.Name, e.Event, e.Message, restarts: next.Restarts,
                    delayMs: next.Phase == ServicePhase.Backoff ? delay : null, error: e.Error);
            return;
        }
        // Tend's own child: its pid cannot be reused before Tend reaps it, so a lower bound of its start time will do.
        var started = Reconciler.OnStarted(r, new TrackedProcess(pid, bootTicks, pid, IsChild: true, Launched: true, Sid: pid), now, mark,
            scheduled: spec.Schedule is not null);
        _runtimes = _runtimes.SetItem(i, started);
        _runs.Started(i, started, now);
        var what = spec.Schedule is not null ? $"run started{(r.Schedule.LastRunRequested ? " on request" : "")} (pid {pid})"
            : r.Starts == 0 ? $"started (pid {pid})" : $"restarted (pid {pid}, restart {started.Restarts})";
        _log.Service(spec.Name, EventNames.Started, what, pid, restarts: started.Restarts);
        _reaper!.Spawned();
    }

    /// <summary>Waits at most <paramref name="ms"/> for an exit of Tend's children (every exit is reported while shutting down), and reaps
    /// what came.</summary>
    private void WaitForExit(int ms)
    {
        _filter.Asleep();
        var took = _inbox.TryTake(out var message, ms);
        _filter.Awake();
        if (took && message.Kind == MessageKind.ChildExited) while (_reaper!.TryTake(out _, out _)) { }
    }

    /// <summary>The safety net: tracked processes that are not Tend's children are checked in /proc
    /// (<see cref="RunTracker.ScanNonChildren"/>).</summary>
    private void Scan()
    {
        _nextScanAt = Now + (long)_options.ScanInterval.TotalMilliseconds;
        _runs.ScanNonChildren(ref _runtimes, Now);
    }
}
