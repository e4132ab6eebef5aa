using System.Collections.Immutable;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Carries out the verdicts of <see cref="Identity"/> for the supervisor: owns the process table of a round
/// (<see cref="RunLineage"/>), the pidfds of the tracked processes (<see cref="Signaller"/>) and the lineage trace, and
/// turns a look, an exit or a signal into the service's next runtime and the events that say what happened
/// (<see cref="Transitions"/>). It changes runtimes only through <see cref="Reconciler"/>.
/// </summary>
internal sealed class RunTracker : IDisposable
{
    private readonly ServiceTable _table;
    private readonly EventLog _log;
    private readonly int _self;
    private readonly int _selfGroup;
    private readonly RunLineage _lineage;
    private readonly Signaller _signaller;
    private readonly Func<long> _now;

    public RunTracker(ServiceTable table, EventLog log, int self, int selfGroup, Func<long> now)
    {
        _table = table;
        _log = log;
        _self = self;
        _selfGroup = selfGroup;
        _now = now;
        var trace = LineageTrace.FromEnvironment(now, out var problem);
        if (problem is not null) log.Error(problem);
        trace?.Header(self, selfGroup, table.Services);
        _lineage = new RunLineage(table.Count, self, trace);
        _signaller = new Signaller(log);
    }

    /// <summary>The process table of this round (read when first needed).</summary>
    public IProcessTable Table => _lineage;

    /// <summary>When (ms) runs that start up are looked at next, or <see cref="long.MaxValue"/>.</summary>
    public long NextLookAt => _lineage.NextLookAt;

    /// <summary>The next look (ms), or <see cref="long.MaxValue"/> when no run starts up.</summary>
    public long NextWake() => _lineage.NextWake();

    /// <summary>A new round of the loop, or exits were reaped: the table is read again when needed.</summary>
    public void NewRound() => _lineage.NewRound();

    /// <summary>Service <paramref name="i"/>'s run was spawned or adopted as <paramref name="r"/>'s main process.</summary>
    public void Started(int i, ServiceRuntime r, long now)
    {
        var main = r.Run.Main!;
        _signaller.Track(main);
        if (r.Run.Mark != 0) _lineage.Watch(i, now);
        _lineage.Trace?.Spawn(i, main.Pid, main.StartTime, r.Run.Mark);
    }

    /// <summary>An exit was reaped (or a tracked process found gone), before any verdict on it.</summary>
    public void Reaped(int pid, ExitStatus status) => _lineage.Trace?.Exit(pid, status);

    /// <summary>Closes what the tracked processes no longer need (pidfds of processes that are nobody's now).</summary>
    public void Retain(ImmutableArray<ServiceRuntime> runtimes) => _signaller.Retain(runtimes);

    /// <summary>
    /// Looks at every run that starts up (<see cref="Identity.OnLook"/>): records its groups, extends its start-up, hands
    /// over to a daemon that left its launcher; a main process that vanished is an exit of unknown status.
    /// Returns whether every run has started up since (nothing more to look at).
    /// </summary>
    public bool FollowStartups(ref ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        var next = long.MaxValue;
        var looked = false;
        for (var i = 0; i < runtimes.Length; i++)
        {
            if (!_lineage.IsWatched(i)) continue;
            var r = runtimes[i];
            if (r.Phase != ServicePhase.Running || r.Run.Mark == 0)
            {
                _lineage.Unwatch(i);
                continue;
            }
            looked = true;
            var spec = _table.Services[i];
            var verdict = Identity.OnLook(spec, r.Run, _lineage, now, _self, _selfGroup);
            runtimes = runtimes.SetItem(i, r = Reconciler.OnIdentity(r, verdict.Run));
            _lineage.Trace?.Verdict("look", i, verdict.MainVanished ? "vanished" : verdict.Why is null ? "seen" : "handover",
                verdict.Run.Main?.Pid);
            if (verdict.MainVanished) runtimes = runtimes.SetItem(i, r = OnExit(i, r, r.Run.Main!.Pid, ExitStatus.Vanished, now));
            else if (verdict.Chosen is { } chosen) HandedOver(spec, chosen, verdict.Why!);
            // The last look is at the end of start-up, not after it (an idle Tend wakes for nothing).
            if (r.Phase == ServicePhase.Running && now < r.Run.StartupUntil)
                next = Math.Min(next, Math.Min(Lineage.NextLook(r.Run.SpawnedAt, now), r.Run.StartupUntil));
            else
            {
                _lineage.Unwatch(i);
                if (r.Phase == ServicePhase.Running) _lineage.Trace?.StartedUp(i);
            }
        }
        _lineage.LookNextAt(next);
        return looked && next == long.MaxValue;
    }

    private void HandedOver(ServiceSpec spec, TrackedProcess chosen, string why)
    {
        _signaller.Track(chosen);
        _log.Service(spec.Name, EventNames.Daemonized, $"{why}; following pid {chosen.Pid} ({chosen.Comm}) of its lineage", chosen.Pid);
    }

    /// <summary>
    /// Process <paramref name="pid"/> of service <paramref name="i"/> ended with <paramref name="status"/>: while the
    /// service runs, <see cref="Identity.OnExit"/> says what it means; the end of a run goes to
    /// <see cref="Reconciler.OnExited"/>, which stops what is left of it before the restart policy decides.
    /// </summary>
    public ServiceRuntime OnExit(int i, ServiceRuntime r, int pid, ExitStatus status, long now)
    {
        var spec = _table.Services[i];
        string? why = null;
        if (r.Phase == ServicePhase.Running)
        {
            // While the service runs, the pid that ended is not always "the service": a launcher that exits after its
            // daemon detached is the start-up going as planned, a main process may hand over to a process of its lineage
            // (a binary upgrade, a re-exec), and a process Tend followed may turn out not to be the run's. Identity
            // decides from the process table; only the verdicts that fall through this switch end the run.
            var verdict = Identity.OnExit(spec, r.Run, pid, status, _lineage, now, _self, _selfGroup);
            _lineage.Trace?.Verdict("exit", i, verdict.Kind.ToString(), verdict.Run.Main?.Pid);
            switch (verdict.Kind)
            {
                case ExitVerdictKind.NotOurs:
                    return r;
                case ExitVerdictKind.LauncherDone:
                    return Reconciler.OnIdentity(r, verdict.Run);
                case ExitVerdictKind.HandOver:
                case ExitVerdictKind.BackToLauncher:
                    HandedOver(spec, verdict.Chosen!, verdict.Why!);
                    return Reconciler.OnIdentity(r, verdict.Run);
            }
            // The run ended: its identity is kept as found (the groups a stop must wait for), with the status and the
            // words Identity chose (a daemon's exit may be reported as its launcher's, or as unknown).
            r = Reconciler.OnIdentity(r, verdict.Run);
            why = verdict.Why;
            status = verdict.Status;
        }
        // Stopping or cleaning: only the tracked main process's end moves the service on; any other pid is a leftover
        // whose end CheckLeftovers notices when the group is empty.
        else if (r.Process?.Pid != pid) return r;
        var main = r.Process;
        // Whether something of the run is still alive decides between Cleaning (stop it first) and the restart policy now.
        var next = Reconciler.OnExited(spec, r, status, LeftoversAlive(spec, r, now), now);
        var what = why ?? (spec.Schedule is not null ? $"run (pid {pid}) ended with {status}"
            : status.Success && main is { Launched: true } && next.Phase is ServicePhase.Completed or ServicePhase.Backoff
                ? $"pid {pid} exited 0 and left nothing running" : $"pid {pid} exited with {status}");
        Log(spec, TransitionCause.RunEnded, r.Phase, next, what, status, now, pid);
        return next;
    }

    /// <summary>
    /// For each service whose run ended or that is being stopped: once nothing of it is left
    /// (<see cref="LeftoversAlive"/>), its next phase (<see cref="Reconciler.OnGroupGone"/>).
    /// </summary>
    public void CheckLeftovers(ref ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        for (var i = 0; i < runtimes.Length; i++)
        {
            var r = runtimes[i];
            // Only a run whose main process has ended (Process is null) waits for its leftovers; one still tracked waits
            // for the main process's own exit first (OnExit), whatever its group holds.
            if (r.Phase is not (ServicePhase.Cleaning or ServicePhase.Stopping) || r.Process is not null) continue;
            var spec = _table.Services[i];
            if (LeftoversAlive(spec, r, now)) continue;
            var next = Reconciler.OnGroupGone(r);
            runtimes = runtimes.SetItem(i, next);
            Log(spec, TransitionCause.LeftoversGone, r.Phase, next, "", r.LastExit, now, null);
        }
    }

    /// <summary>
    /// Whether anything a stop of the run waits for is alive. First the cheap question — does any of its groups have a
    /// process (kill(2) with signal 0)? — and only then the table: a group that is no longer the run's is not waited for.
    /// </summary>
    private bool LeftoversAlive(ServiceSpec spec, ServiceRuntime r, long now)
    {
        var any = false;
        foreach (var g in StopGroups(spec, r))
            if (g > 0 && (Libc.kill(-g, Libc.NoSignal) == 0 || Libc.LastError == Libc.EPERM)) { any = true; break; }
        if (!any) return false;
        return !Identity.Reach(spec, r.Run with { Main = null, Groups = StopGroups(spec, r) }, Libc.SIGKILL, _lineage, now).Targets.IsEmpty;
    }

    /// <summary>The groups a stop waits for: the run's and the main process's own (none in kill mode process).</summary>
    private static ImmutableArray<int> StopGroups(ServiceSpec spec, ServiceRuntime r) =>
        spec.KillMode == KillMode.Process ? [] : r.Process is { } main ? RunIdentity.WithGroup(r.Groups, main.Pgid) : r.Groups;

    /// <summary>
    /// Sends <paramref name="signal"/> to what the service's kill mode reaches (<see cref="Identity.Reach"/>), followed by
    /// SIGCONT for a stop signal; logs each target reached, and an error for what could not be.
    /// </summary>
    public ServiceRuntime Signal(int i, ServiceRuntime r, int signal, long now)
    {
        var spec = _table.Services[i];
        var (targets, groups) = Identity.Reach(spec, r.Run, signal, _lineage, now);
        r = Reconciler.OnIdentity(r, r.Run with { Groups = groups });
        // A stop signal is followed by SIGCONT, so that a stopped process (SIGSTOP, a hung service found by its liveness
        // check) gets it now rather than when something continues it: what systemd does (systemd.kill(5), SendSIGCONT).
        var thenContinue = signal is not (Libc.SIGKILL or Libc.SIGCONT) && r.Phase is ServicePhase.Stopping or ServicePhase.Cleaning;
        var sent = _signaller.Send(targets, signal, thenContinue);
        var (evt, what) = signal == Libc.SIGKILL
            ? (EventNames.Killed,
                $"{(r.Phase == ServicePhase.Cleaning ? "what is left of it is" : "still")} running after {Signals.Name(spec.StopSignal)}")
            : r.Phase == ServicePhase.Cleaning ? (EventNames.Stopping, "stopping what is left of it") : (EventNames.Stopping, "stopping");
        _signaller.Report(spec.Name, signal, sent, r.Process?.Pid, evt, what);
        return r;
    }

    /// <summary>Forwards <paramref name="signal"/> (SIGHUP, SIGUSR1…) to a running service's main process group, or its main process
    /// (<see cref="Identity.MainTarget"/>).</summary>
    public void Forward(int i, ServiceRuntime r, int signal, string why)
    {
        if (r.Phase != ServicePhase.Running || Identity.MainTarget(r.Run, _lineage) is not { } target) return;
        _signaller.Report(_table.Services[i].Name, signal, _signaller.Send([target], signal, thenContinue: false), r.Process?.Pid,
            EventNames.Signalled, why);
    }

    /// <summary>Sends <paramref name="signal"/> to service <paramref name="i"/>'s main process group or main process (<c>tend signal</c>);
    /// null with the reason when nothing was reached.</summary>
    public string? SignalMain(int i, ServiceRuntime r, int signal, out string? error)
    {
        error = null;
        if (Identity.MainTarget(r.Run, _lineage) is not { } target)
        {
            error = "its main process is gone";
            return null;
        }
        if (_signaller.Send(target, signal, out var errno)) return target.ToString();
        error = Libc.ErrorText(errno);
        return null;
    }

    /// <summary>
    /// Adopts, for each service, a process of its match name already running when Tend starts (as PID 1, or with
    /// --adopt), instead of starting another; not root, never another user's process.
    /// </summary>
    public void AdoptRunning(ref ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        var taken = new HashSet<int>();
        long? uid = Libc.geteuid() == 0 ? null : Libc.geteuid();
        for (var i = 0; i < _table.Count; i++)
        {
            var spec = _table.Services[i];
            if (spec.OneShot || spec.Schedule is not null) continue;
            var found = ProcFs.FindByName(spec.EffectiveMatchName, _self, taken, uid).OrderBy(s => s.StartTime).FirstOrDefault();
            if (found.Pid == 0) continue;
            taken.Add(found.Pid);
            // Only a group the process leads is its own to signal; an adopted process started from a shell shares the shell's.
            var process = new TrackedProcess(found.Pid, found.StartTime,
                found.Pgid == found.Pid && found.Pgid != _selfGroup ? found.Pgid : 0,
                IsChild: found.Ppid == _self, Launched: false, found.Comm, found.Sid);
            runtimes = runtimes.SetItem(i, Reconciler.OnStarted(runtimes[i], process, now));
            Started(i, runtimes[i], now);
            _log.Service(spec.Name, EventNames.Adopted, $"already running as pid {found.Pid}; adopted instead of starting another",
                found.Pid);
        }
    }

    /// <summary>The safety net: a tracked process that is not Tend's child is looked up in /proc; one that is gone ended with an unknown
    /// status.</summary>
    public void ScanNonChildren(ref ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        for (var i = 0; i < runtimes.Length; i++)
        {
            if (runtimes[i].Process is not { IsChild: false } p) continue;
            if (ProcFs.TryReadStat(p.Pid, out var st) && p.Is(st) && st.State is not ('Z' or 'X')) continue;
            Reaped(p.Pid, ExitStatus.Vanished);
            runtimes = runtimes.SetItem(i, OnExit(i, runtimes[i], p.Pid, ExitStatus.Vanished, now));
        }
        CheckLeftovers(ref runtimes, now);
        Retain(runtimes);
    }

    private void Log(ServiceSpec spec, TransitionCause cause, ServicePhase before, ServiceRuntime next, string what, ExitStatus? exit,
        long now, int? pid)
    {
        var delay = next.Phase == ServicePhase.Backoff ? Math.Max(0, next.NextStartAt - now) : 0;
        var nextRun = next.Schedule.NextDueAt is { } due ? $"; next run at {ScheduleRules.Format(due)}" : "";
        if (Transitions.Describe(cause, next.Phase, new TransitionFacts(what, exit, delay, next.Reason, nextRun, before)) is { } e)
            _log.Service(spec.Name, e.Event, e.Message, pid,
                cause == TransitionCause.RunEnded ? exit : cause == TransitionCause.LeftoversGone && e.Event != EventNames.Backoff ? exit
                : null,
                next.Restarts,
                    cause == TransitionCause.RunEnded && next.Phase == ServicePhase.Backoff || e.Event == EventNames.Backoff ? delay : null,
                    error: e.Error);
    }

    public void Dispose()
    {
        _signaller.Dispose();
        _lineage.Trace?.Dispose();
    }
}
