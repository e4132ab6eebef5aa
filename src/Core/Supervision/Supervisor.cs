using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The supervisor's effects: it carries out the reconciler's actions and turns what the kernel reports
/// (exits, signals, /proc) into observations. One thread owns all state and spawns; the reaper
/// (<see cref="Reaper"/>) reaps every exit and reports those the supervisor relies on.
/// </summary>
public sealed partial class Supervisor
{
    private static readonly int[] Forwarded = [Libc.SIGHUP, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGWINCH];

    private readonly ServiceTable _table;
    private readonly SupervisorOptions _options;
    private readonly EventLog _log;
    private readonly Inbox _inbox = new();

    /// <summary>
    /// Held by the supervisor's thread whenever it is not waiting for a message, so that the reaper's thread can
    /// tell, from what was published before the wait, whether a pid it reaped is one the supervisor must hear of
    /// (<see cref="MustReport"/>).
    /// </summary>
    private readonly Lock _gate = new();
    private readonly Spawner _spawner = new();
    private readonly int _self = Libc.getpid();
    private readonly int _selfGroup = Libc.getpgrp();
    private readonly Command[] _commands;
    private LogPump? _pump;
    private Reaper? _reaper;
    private ImmutableArray<ServiceRuntime> _runtimes;
    private DesiredState _desired;
    private long _nextScanAt = long.MaxValue;
    private long _nextLookAt = long.MaxValue;

    /// <summary>Services whose run starts up and gets a look at its end (<see cref="Look"/>).</summary>
    private readonly bool[] _watching;

    /// <summary>The process table, read at most once per round of the loop (<see cref="Processes"/>); null until needed.</summary>
    private List<ProcStat>? _processes;
    private bool _settled;
    private long? _trimAt;

    /// <summary>How long Tend must be quiet before it gives memory back (<see cref="Trim"/>).</summary>
    private const int TrimDelayMs = 1000;

    /// <summary>Gives back memory an idle supervisor does not need: the GC heap's free space, then the binary's clean pages.</summary>
    private static void Trim()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        WorkingSet.TrimExecutable();
    }

    /// <summary>Creates a supervisor for <paramref name="table"/>.</summary>
    public Supervisor(ServiceTable table, SupervisorOptions options, EventLog log)
    {
        _table = table;
        _options = options;
        _log = log;
        _runtimes = Enumerable.Repeat(new ServiceRuntime(), table.Count).ToImmutableArray();
        _desired = DesiredState.AllUp(table.Count);
        _watching = new bool[table.Count];
        _commands = [.. table.Services.Select(ResolveCommand)];
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
        return _spawner.AsUser(spec.Command, user, setpriv);
    }

    /// <summary>A monotonic clock in milliseconds.</summary>
    private static long Now => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000);

    private void ChildExited() => _inbox.Post(new Message(MessageKind.ChildExited));

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
        _reaper = new Reaper(MustReport, ChildExited, ownThread: false);
        new Thread(() => supervise()) { Name = "tend-supervisor" }.Start();
        _reaper.Run();
    }

    /// <summary>Runs until a requested stop or a fatal failure; returns Tend's exit code.</summary>
    public int Run()
    {
        if (_self != 1 && Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            _log.Error($"cannot become a child subreaper ({Libc.ErrorText(Libc.LastError)}): daemons' exits will only be seen by the /proc scan");

        if (_options.LogPrefix)
        {
            if (!EnsureFileLimit(4 * _table.Count + 64, out var problem))
            {
                _log.Error(problem!);
                return 1;
            }
            try
            {
                _pump = new LogPump([.. _table.Services.Select(s => s.Name)]);
            }
            catch (IOException e)
            {
                // Two pipes per service: many services can exceed the open-file limit.
                _log.Error($"--log-prefix needs two pipes per service and {e.Message}: raise the open-file limit (ulimit -n, docker run --ulimit nofile=…) or drop --log-prefix");
                return 1;
            }
        }

        var registrations = RegisterSignals();
        _gate.Enter();
        _reaper ??= new Reaper(MustReport, ChildExited, ownThread: true);
        OpenControl();
        _log.Info($"supervising {_table.Count} service{(_table.Count == 1 ? "" : "s")} as pid {_self}{(_control is null ? "" : $"; control socket {_control.Path}")}");
        if (!RunMarks.Available)
            _log.Info("the hard limit of RLIMIT_RTTIME is below 2^63, so services cannot be followed by lineage: each is its process group (docker run --ulimit rttime=… lowers it; see docs/lineage.md)");
        if (_options.Adopt ?? _self == 1) AdoptRunning();

        try
        {
            while (true)
            {
                _processes = null;
                PollProbes(Now);
                var plan = Reconciler.Reconcile(_table, _desired, _runtimes, Now);
                LogQuietStops(_runtimes, plan.Next);
                _runtimes = plan.Next;
                if (plan.ExitCode is { } code)
                {
                    StopEverythingLeft();
                    Finish();
                    _log.Info($"exiting with code {code}");
                    return code;
                }
                if (plan.ShutdownCode is { } shutdownCode)
                {
                    BeginShutdown(shutdownCode, shutdownCode == 0 ? "nothing left to supervise" : FailureSummary());
                    continue;
                }
                foreach (var action in plan.Actions) Execute(action);
                var settled = SettleRequests(Now);
                // Starts and readiness may unblock dependents; a finished restart starts again.
                if (settled || _becameReady || plan.Actions.Any(a => a.Kind == ActionKind.Start))
                {
                    _becameReady = false;
                    continue;
                }

                var wake = Math.Min(plan.WakeAt ?? long.MaxValue, Math.Min(ProbeDeadline() ?? long.MaxValue, WaiterDeadline() ?? long.MaxValue));
                if (AnyWatched()) wake = Math.Min(wake, _nextLookAt);
                else _nextLookAt = long.MaxValue;
                if (_runtimes.Any(r => r.Process is { IsChild: false }))
                {
                    if (_nextScanAt == long.MaxValue) _nextScanAt = Now + (long)_options.ScanInterval.TotalMilliseconds;
                    wake = Math.Min(wake, _nextScanAt);
                }
                else _nextScanAt = long.MaxValue;

                if (wake == long.MaxValue && !_settled)
                {
                    // Settled for the first time: startup's pages of the binary are not needed any more. Trimming
                    // waits a second, so its work does not compete with the services' own start for the CPU.
                    _settled = true;
                    _trimAt ??= Now + TrimDelayMs;
                }
                if (_trimAt is { } trimAt)
                {
                    if (Now >= trimAt && _waiters.Count == 0)
                    {
                        // Quiet for a second (after the start, or after control requests): give back what that touched.
                        _trimAt = null;
                        Trim();
                    }
                    else wake = Math.Min(wake, trimAt);
                }
                var timeout = wake == long.MaxValue ? -1 : (int)Math.Clamp(wake - Now, 0, int.MaxValue);
                PublishTracked();
                _gate.Exit();
                var took = _inbox.TryTake(out var message, timeout);
                _gate.Enter();
                if (took) Handle(message);
                while (_inbox.TryTake(out message, 0)) Handle(message);
                if (Now >= _nextScanAt) Scan();
                if (Now >= _nextLookAt) Look(Now);
            }
        }
        finally
        {
            CloseProbes();
            CloseControl();
            foreach (var r in registrations) r.Dispose();
            if (_gate.IsHeldByCurrentThread) _gate.Exit();
        }
    }

    /// <summary>Services that never ran and were stopped before they started (waiting, or in backoff): a state change like any other.</summary>
    private void LogQuietStops(System.Collections.Immutable.ImmutableArray<ServiceRuntime> before, System.Collections.Immutable.ImmutableArray<ServiceRuntime> after)
    {
        for (var i = 0; i < before.Length; i++)
            if (before[i].Phase is ServicePhase.Waiting or ServicePhase.Backoff && after[i].Phase == ServicePhase.Stopped)
                _log.Service(_table.Services[i].Name, "stopped", $"stopped before it {(before[i].Phase == ServicePhase.Waiting ? "started" : "restarted")}", restarts: after[i].Restarts);
    }

    /// <summary>
    /// --log-prefix keeps four pipe ends per service open in Tend. Raises the soft open-file limit to what that
    /// needs when the hard limit allows (services inherit the raised soft limit); otherwise says what to do.
    /// </summary>
    private static unsafe bool EnsureFileLimit(int needed, out string? problem)
    {
        problem = null;
        Libc.RLimit limit;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) != 0 || limit.Soft >= (ulong)needed) return true;
        if (limit.Hard < (ulong)needed)
        {
            problem = $"--log-prefix needs two pipes per service ({needed} open files for {(needed - 64) / 4} services), above the hard open-file limit {limit.Hard}: raise the open-file limit (docker run --ulimit nofile={needed}) or drop --log-prefix";
            return false;
        }
        limit.Soft = (ulong)needed;
        return Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit) == 0;
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
        foreach (var w in _waiters) w.Request.Answer(Control.ControlReply.Error(1, $"tend is shutting down ({why})"));
        _waiters.Clear();
        _restartPending.Clear();
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
            case MessageKind.Control:
                HandleControl(message.Request!);
                _trimAt = Now + TrimDelayMs;
                break;
            case MessageKind.Signal when Array.IndexOf(Forwarded, message.Value) >= 0:
                for (var i = 0; i < _table.Count; i++)
                    if (_runtimes[i].Process is { } p && _runtimes[i].Phase == ServicePhase.Running) Libc.kill(p.Pgid > 0 ? -p.Pgid : p.Pid, message.Value);
                break;
            case MessageKind.Signal when _desired.ShuttingDown && !_desired.Force:
                // A second SIGTERM/SIGINT (Ctrl-C twice): no more waiting for stop timeouts.
                _log.Info($"received {Signals.Name(message.Value)} again: killing what is still running");
                _desired = _desired with { Force = true };
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
        _processes = null;
        foreach (var (pid, status) in _reaped)
        {
            var i = FindService(pid);
            if (i >= 0) OnTrackedExit(i, status, now);
            else if (_probes.Count > 0) OnProbeExit(pid, status);
        }
        CheckGroups();
    }

    private readonly List<(int Pid, ExitStatus Status)> _reaped = [];

    /// <summary>
    /// What the reaper's thread may look at while the supervisor waits (<see cref="MustReport"/>): the pids of
    /// services' processes and readiness checks, in one small array (the reaper reads a few cache lines, not every
    /// service's objects), and whether every exit must be reported for now.
    /// </summary>
    private int[] _trackedPids = [];
    private int _trackedCount;
    private bool _reportAll;

    /// <summary>Called under the gate before the supervisor waits.</summary>
    private void PublishTracked()
    {
        var needed = _runtimes.Length + _probes.Count;
        if (_trackedPids.Length < needed) _trackedPids = new int[Math.Max(needed, 2 * _trackedPids.Length)];
        var n = 0;
        // While a service's group is being cleaned up or stopped (or everything is), any exit may be the group's
        // last member: the supervisor looks at the groups again after each one.
        var all = _desired.ShuttingDown;
        foreach (var r in _runtimes)
        {
            if (r.Process is { } p) _trackedPids[n++] = p.Pid;
            if (r.Phase is ServicePhase.Cleaning or ServicePhase.Stopping) all = true;
        }
        foreach (var probe in _probes.Values) if (probe.Pid > 0) _trackedPids[n++] = probe.Pid;
        _trackedCount = n;
        _reportAll = all;
    }

    /// <summary>
    /// Called on the reaper's thread with the pid of a child it has just reaped: true when the supervisor must hear
    /// of it — a service's process, a readiness check, any exit while groups are being cleaned up, and every exit
    /// while the supervisor is awake (it may have spawned a process it has not published yet). An orphan reaped
    /// while the supervisor waits is nobody's, and is not reported.
    /// </summary>
    private bool MustReport(int pid)
    {
        if (!_gate.TryEnter()) return true;
        try { return _reportAll || Array.IndexOf(_trackedPids, pid, 0, _trackedCount) >= 0; }
        finally { _gate.Exit(); }
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
        if (status.Unknown && r.Phase == ServicePhase.Running && r.Launcher is { } l && l.Pid != p.Pid && Processes().Any(x => x.Pid == l.Pid && !x.Gone))
        {
            var detached = HandOverCandidates(i, p, now);
            if (detached.Count > 0) HandOver(i, detached, $"pid {p.Pid} ended while its launcher (pid {l.Pid}) still runs");
            else
            {
                _runtimes = _runtimes.SetItem(i, Reconciler.OnDaemonized(r, l, now));
                _log.Service(spec.Name, "daemonized", $"pid {p.Pid} ended while its launcher still runs; following the launcher (pid {l.Pid}) again", l.Pid);
            }
            return;
        }
        var handsOver = status.Success || (status.Unknown && now < r.StartupUntil);
        if (r.Phase == ServicePhase.Running && r.Mark != 0 && !spec.OneShot && handsOver && (p.Launched || now < r.StartupUntil))
        {
            // The main process exited 0 while its run started up (or it is the launcher itself): what it started is the service now.
            var candidates = HandOverCandidates(i, p, now);
            if (candidates.Count > 0)
            {
                HandOver(i, candidates, p.Launched ? $"launcher (pid {p.Pid}) exited 0" : $"pid {p.Pid} ended while starting up");
                return;
            }
            if (p.Launched && now < r.StartupUntil)
            {
                _runtimes = _runtimes.SetItem(i, Reconciler.OnCompleted(r, status));
                _log.Service(spec.Name, "completed", $"pid {p.Pid} exited 0 and left nothing running: completed", p.Pid, status, r.Restarts);
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
            _runtimes = _runtimes.SetItem(i, r = r with { Groups = groups });
        }
        var groupAlive = GroupsAlive(StopGroups(spec, r));
        var next = Reconciler.OnExited(spec, r, status, groupAlive, now);
        _runtimes = _runtimes.SetItem(i, next);
        var message = $"pid {p.Pid} exited with {status}";
        switch (next.Phase)
        {
            case ServicePhase.Backoff:
                var delay = Math.Max(0, next.NextStartAt - now);
                _log.Service(spec.Name, "exited", message + (delay == 0 ? "; restarting now" : $"; restarting in {delay}ms"), p.Pid, status, next.Restarts, delay);
                break;
            case ServicePhase.Cleaning:
                _log.Service(spec.Name, "exited", message + "; stopping what is left of it", p.Pid, status, next.Restarts);
                break;
            case ServicePhase.Failed:
                _log.Service(spec.Name, "failed", message + $"; giving up: {next.Reason}", p.Pid, status, next.Restarts, error: true);
                break;
            case ServicePhase.Completed:
                _log.Service(spec.Name, "completed", message, p.Pid, status, next.Restarts);
                break;
            default:
                _log.Service(spec.Name, next.Phase == ServicePhase.Stopped ? "stopped" : "exited", message, p.Pid, status, next.Restarts);
                break;
        }
    }

    /// <summary>
    /// The processes a main process that exited 0 hands over to: the live processes of its run's lineage — any of them
    /// while the run starts up, afterwards those in a group or session it had while starting up; never a launcher that
    /// still lingers, nor what runs in its session (a daemon stopped by hand while Debian's apache2 script still waits
    /// is not replaced by that script).
    /// </summary>
    private List<ProcStat> HandOverCandidates(int i, TrackedProcess exited, long now)
    {
        var r = _runtimes[i];
        var members = RunMembers(i, except: exited.Pid);
        if (now >= r.StartupUntil) members = Lineage.InGroups(members, r.Groups);
        if (r.Launcher is { } l && l.Pid != exited.Pid && members.Any(m => m.Pid == l.Pid))
            members = Lineage.Detached(members, l.Pid);
        return members;
    }

    /// <summary>Makes the best of <paramref name="candidates"/> the service's main process (<see cref="Lineage.ChooseMain"/>).</summary>
    private void HandOver(int i, List<ProcStat> candidates, string why)
    {
        var spec = _table.Services[i];
        var r = _runtimes[i];
        var launcherSid = r.Launcher?.Pid ?? 0;
        var d = Lineage.ChooseMain(candidates, c => ProcFs.MatchesByComm(c, spec.EffectiveMatchName), launcherSid, _self);
        if (r.Process is { } current && current.Pid == d.Pid) return;
        var groups = r.Groups;
        foreach (var c in candidates) groups = Reconciler.WithGroup(groups, c.Pgid);
        var daemon = new TrackedProcess(d.Pid, d.StartTime, d.Pgid != _selfGroup ? d.Pgid : 0, IsChild: d.Ppid == _self, Launched: false);
        _runtimes = _runtimes.SetItem(i, Reconciler.OnDaemonized(r with { Groups = groups }, daemon, Now));
        _log.Service(spec.Name, "daemonized", $"{why}; following pid {d.Pid} ({d.Comm}) of its lineage", d.Pid);
    }

    /// <summary>Whether a service's run still starts up, so that its lineage is looked at.</summary>
    private bool AnyWatched() => Array.IndexOf(_watching, true) >= 0;

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
            if (!_watching[i]) continue;
            if (r.Phase != ServicePhase.Running || r.Mark == 0)
            {
                _watching[i] = false;
                continue;
            }
            looked = true;
            var members = RunMembers(i, record: true);
            r = _runtimes[i];
            var groups = r.Groups;
            var seen = r.Members;
            var lastNew = r.LastNewMemberAt;
            foreach (var m in members)
            {
                groups = Reconciler.WithGroup(groups, m.Pgid);
                if (m.Pid != r.Launcher?.Pid && !seen.Contains(m.Pid))
                {
                    seen = seen.Add(m.Pid);
                    lastNew = now;
                }
            }
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
                else if (HandOverCandidates(i, main, now) is { Count: > 0 } better && better.Any(c => c.Ppid == _self))
                {
                    // A daemon re-parented to Tend appeared since (postgres after pg_ctl): it is the better main process.
                    better.Add(members.First(m => m.Pid == main.Pid));
                    HandOver(i, better, $"pid {main.Pid} still waits for what it started");
                }
            }
            r = _runtimes[i];
            // The last look is at the end of start-up, not after it (an idle Tend wakes for nothing).
            if (now < r.StartupUntil) next = Math.Min(next, Math.Min(Lineage.NextLook(r.StartedAt, now), r.StartupUntil));
            else _watching[i] = false;
        }
        _nextLookAt = next;
        if (looked && next == long.MaxValue)
        {
            // Every run has started up: give back what reading the process table touched, now rather than after a
            // delay that would wake an idle Tend once more.
            _settled = true;
            _trimAt = null;
            Trim();
        }
    }

    /// <summary>
    /// The live processes of service <paramref name="i"/>'s run, but <paramref name="except"/> and the sessions its settled
    /// daemon started itself (<see cref="Lineage.InDaemonsSession"/>); with <paramref name="record"/>, newly seen
    /// such sessions are recorded, so they stay foreign once their leader is gone.
    /// </summary>
    private List<ProcStat> RunMembers(int i, bool record = false, int except = 0)
    {
        var r = _runtimes[i];
        var members = Lineage.Members(Processes(), r.Mark, except);
        if (r.Process is not { Launched: false } main || r.Launcher is null || Now - r.MainSince < Lineage.DaemonSettleMs)
            return r.ForeignSessions.IsEmpty ? members : [.. members.Where(m => !r.ForeignSessions.Contains(m.Sid))];
        var foreign = r.ForeignSessions;
        members.RemoveAll(m =>
        {
            if (foreign.Contains(m.Sid)) return true;
            if (!Lineage.InDaemonsSession(m, Processes(), main.Pid, r.Groups)) return false;
            foreign = foreign.Add(m.Sid);
            return true;
        });
        if (record && foreign != r.ForeignSessions) _runtimes = _runtimes.SetItem(i, r with { ForeignSessions = foreign });
        return members;
    }

    /// <summary>The process table for this round of the loop (read once; see <see cref="ProcFs.Snapshot"/>).</summary>
    private List<ProcStat> Processes() => _processes ??= ProcFs.Snapshot(_self);

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
                    _log.Service(_table.Services[i].Name, "stopped", r.LastExit is { } last ? $"stopped (its main process ended with {last})" : "stopped", exit: r.LastExit, restarts: r.Restarts);
                else if (next.Phase == ServicePhase.Backoff)
                {
                    var delay = Math.Max(0, next.NextStartAt - Now);
                    if (delay > 0) _log.Service(_table.Services[i].Name, "backoff", $"restarting in {delay}ms", delayMs: delay);
                }
                else if (next.Phase == ServicePhase.Failed)
                    _log.Service(_table.Services[i].Name, "failed", $"what was left of it stopped; giving up: {next.Reason}", exit: r.LastExit, restarts: r.Restarts, error: true);
                else if (next.Phase == ServicePhase.Completed)
                    _log.Service(_table.Services[i].Name, "completed", "what was left of it stopped; completed", exit: r.LastExit, restarts: r.Restarts);
            }
        }
    }

    /// <summary>Whether any of <paramref name="groups"/> still has a process (one Tend may not signal counts too).</summary>
    private static bool GroupsAlive(ImmutableArray<int> groups)
    {
        foreach (var g in groups)
            if (g > 0 && (Libc.kill(-g, 0) == 0 || Libc.LastError == Libc.EPERM)) return true;
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
                    var pid = _spawner.SpawnService(_commands[action.Service], spec, action.Service, _pump, out var error, mark);
                    var now = Now;
                    if (pid == 0)
                    {
                        var next = Reconciler.OnSpawnFailed(spec, r, error!, now);
                        _runtimes = _runtimes.SetItem(action.Service, next);
                        if (next.Phase == ServicePhase.Failed)
                            _log.Service(spec.Name, "failed", $"cannot start: {next.Reason}; giving up", restarts: next.Restarts, error: true);
                        else
                            _log.Service(spec.Name, "spawn-error", $"cannot start: {error}; retrying in {Math.Max(0, next.NextStartAt - now)}ms", restarts: next.Restarts, delayMs: Math.Max(0, next.NextStartAt - now), error: true);
                        return;
                    }
                    // Tend's own child: its pid cannot be reused before Tend reaps it, so a lower bound of its start time will do.
                    var started = Reconciler.OnStarted(r, new TrackedProcess(pid, bootTicks, pid, IsChild: true, Launched: true), now, mark);
                    _runtimes = _runtimes.SetItem(action.Service, started);
                    if (mark != 0)
                    {
                        _watching[action.Service] = true;
                        _nextLookAt = Math.Min(_nextLookAt, Lineage.NextLook(now, now));
                    }
                    _log.Service(spec.Name, "started", r.Starts == 0 ? $"started (pid {pid})" : $"restarted (pid {pid}, restart {started.Restarts})", pid, restarts: started.Restarts);
                    _reaper!.Spawned();
                    break;
                }
            case ActionKind.Check:
                RunCheck(action.Service, Now);
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
            _runtimes = _runtimes.SetItem(i, r = r with { Groups = all });
            if (!mainOnly) groups = all;
        }
        var reached = new List<string>();
        var failed = new List<string>();
        foreach (var g in groups)
        {
            if (Libc.kill(-g, signal) == 0) reached.Add($"process group {g}");
            else if (Libc.LastError != Libc.ESRCH) failed.Add($"process group {g} ({Libc.ErrorText(Libc.LastError)})");
        }
        // The main process is always reached, even when it left every group the run had (setsid after start-up).
        if (r.Process is { } p && !(ProcFs.TryReadStat(p.Pid, out var st) && groups.Contains(st.Pgid)))
        {
            var leads = st.Pid == p.Pid && st.Pgid == p.Pid && !mainOnly && spec.KillMode != KillMode.Process;
            if (leads)
            {
                _runtimes = _runtimes.SetItem(i, r = r with { Groups = Reconciler.WithGroup(r.Groups, p.Pid) });
                if (Libc.kill(-p.Pid, signal) == 0) reached.Add($"process group {p.Pid}");
                else if (Libc.LastError != Libc.ESRCH) failed.Add($"process group {p.Pid} ({Libc.ErrorText(Libc.LastError)})");
            }
            else if (Libc.kill(p.Pid, signal) == 0) reached.Add($"pid {p.Pid}");
            else if (Libc.LastError != Libc.ESRCH) failed.Add($"pid {p.Pid} ({Libc.ErrorText(Libc.LastError)})");
        }
        if (failed.Count > 0)
            _log.Service(spec.Name, "signal-error", $"cannot send {Signals.Name(signal)} to {string.Join(", ", failed)}", r.Process?.Pid, error: true);
        if (reached.Count == 0) return;
        var target = string.Join(", ", reached);
        if (signal == Libc.SIGKILL)
            _log.Service(spec.Name, "killed", $"{(r.Phase == ServicePhase.Cleaning ? "what is left of it is" : "still")} running after {Signals.Name(spec.StopSignal)}: sent SIGKILL to {target}", r.Process?.Pid);
        else if (r.Phase == ServicePhase.Stopping)
            _log.Service(spec.Name, "stopping", $"sent {Signals.Name(signal)} to {target}", r.Process?.Pid);
    }

    /// <summary>The process groups a stop waits for: the run's groups and the main process's own (none in kill mode process: only the main process counts).</summary>
    private static ImmutableArray<int> StopGroups(ServiceSpec spec, ServiceRuntime r) =>
        spec.KillMode == KillMode.Process ? [] : r.Process is { } main ? Reconciler.WithGroup(r.Groups, main.Pgid) : r.Groups;

    /// <summary>
    /// The last stage of a shutdown, once every service stopped: as PID 1, every process still in the container gets
    /// SIGTERM, then SIGKILL after the longest stop timeout (what sysvinit and s6-overlay do last); not PID 1, the same
    /// for what is left of Tend's own runs (processes with its marks), and nothing else. Returns when none is left.
    /// </summary>
    private void StopEverythingLeft()
    {
        var timeout = _table.Services.IsEmpty ? 5000 : (long)_table.Services.Max(s => s.StopTimeout.TotalMilliseconds);
        if (!AnyLeft()) return;
        _log.Info($"stopping what is left {(_self == 1 ? "in the container" : "of the services' processes")}: sent SIGTERM");
        SignalLeft(Libc.SIGTERM);
        var deadline = Now + timeout;
        if (WaitNoneLeft(deadline)) return;
        _log.Info($"still running {timeout}ms after SIGTERM: sent SIGKILL");
        SignalLeft(Libc.SIGKILL);
        WaitNoneLeft(Now + Reconciler.KillGraceMs);
    }

    private bool AnyLeft()
    {
        if (_self == 1) return Libc.kill(-1, 0) == 0;
        _processes = null;
        return Processes().Any(p => !p.Gone && RunMarks.IsOurs(p.Mark));
    }

    private void SignalLeft(int signal)
    {
        if (_self == 1)
        {
            Libc.kill(-1, signal);
            return;
        }
        foreach (var p in Processes())
            if (!p.Gone && RunMarks.IsOurs(p.Mark) && Libc.kill(p.Pid, signal) != 0 && Libc.LastError != Libc.ESRCH)
                _log.Error($"cannot send {Signals.Name(signal)} to pid {p.Pid} ({p.Comm}): {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>Waits, reaping as exits come, until nothing is left or <paramref name="deadline"/>; true when nothing is left.</summary>
    private bool WaitNoneLeft(long deadline)
    {
        while (true)
        {
            if (!AnyLeft()) return true;
            var now = Now;
            if (now >= deadline) return false;
            // Exits of Tend's children wake it (every exit is reported while shutting down); grandchildren reaped by
            // their own parents do not, so look again every 20 ms as well.
            _gate.Exit();
            var took = _inbox.TryTake(out var message, (int)Math.Min(20, deadline - now));
            _gate.Enter();
            if (took && message.Kind == MessageKind.ChildExited) while (_reaper!.TryTake(out _, out _)) { }
        }
    }

    private void AdoptRunning()
    {
        var taken = new HashSet<int>();
        // Not root: never another user's process.
        long? uid = Libc.geteuid() == 0 ? null : Libc.geteuid();
        for (var i = 0; i < _table.Count; i++)
        {
            var spec = _table.Services[i];
            if (spec.OneShot) continue;
            var found = ProcFs.FindByName(spec.EffectiveMatchName, _self, taken, uid).OrderBy(s => s.StartTime).FirstOrDefault();
            if (found.Pid == 0) continue;
            taken.Add(found.Pid);
            // Only a group the process leads is its own to signal; an adopted process started from a shell shares the shell's.
            var process = new TrackedProcess(found.Pid, found.StartTime, found.Pgid == found.Pid && found.Pgid != _selfGroup ? found.Pgid : 0, IsChild: found.Ppid == _self, Launched: false);
            _runtimes = _runtimes.SetItem(i, Reconciler.OnStarted(_runtimes[i], process, Now));
            _log.Service(spec.Name, "adopted", $"already running as pid {found.Pid}; adopted instead of starting another", found.Pid);
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

    private void Finish()
    {
        _pump?.WaitDrained(TimeSpan.FromSeconds(1));
    }
}
