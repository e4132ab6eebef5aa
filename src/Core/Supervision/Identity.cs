using System.Collections.Immutable;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Which processes are the service: the verdicts on a run's lineage, as pure functions of the run's
/// <see cref="RunIdentity"/>, a process table and the clock (docs/lineage.md has the rules and why). The supervisor
/// carries the verdicts out; the tests feed them fake tables and tables recorded from real daemons.
/// </summary>
/// <remarks>
/// The discriminators, each a fact of the process table rather than a name:
/// <list type="bullet">
/// <item>A process is the run's when it carries the run's mark (<see cref="RunMarks"/>); a session it started itself
/// is not (<see cref="RunProcesses"/>).</item>
/// <item>While the launcher still runs, it stays the main process, unless a daemon called by the service's name left it:
/// in a session of its own, its starter gone (re-parented to Tend) — Debian's apache2 script waiting for its pid file.
/// A process in a session of its own whose parent is the running launcher is the launcher's own business (a login of
/// sshd, an application's helper, a wrapper's server).</item>
/// <item>The launcher's end always counts: a failure ends the run; an exit 0 chooses the main process afresh among what
/// it left (the wrapper <c>mysqld_safe</c>, not the server it watches).</item>
/// <item>A main process that exits 0 while a new copy of itself that it started runs in its session hands over to it
/// (nginx's binary upgrade: USR2, then QUIT to the old master).</item>
/// <item>A process group is signalled only while one of its live members carries the run's mark (or, without marks,
/// while it is the tracked process's own group): a dead run's group id reused by a stranger is never signalled.</item>
/// </list>
/// </remarks>
internal static class Identity
{
    /// <summary>
    /// The live processes of <paramref name="run"/> (its mark), but <paramref name="except"/> and the sessions that are
    /// not the service's; <paramref name="foreign"/> is <see cref="RunIdentity.Foreign"/> with the sessions newly found:
    /// <list type="bullet">
    /// <item>once a daemon found by lineage has been the main process for <see cref="Lineage.DaemonSettleMs"/>: a session
    /// whose leader is its child (an sshd login, a client's postgres backend).</item>
    /// </list>
    /// A session recorded in the run's groups stays the service's.
    /// </summary>
    public static List<ProcStat> RunProcesses(RunIdentity run, IProcessTable table, long now, out ImmutableArray<int> foreign,
        int except = 0)
    {
        var members = Lineage.Marked(table.Processes, run.Mark, except);
        var found = run.Foreign;
        if (run.Main is { } main && members.Count > 0)
        {
            var settledDaemon = !main.Launched && run.Mark != 0 && now - run.MainSince >= Lineage.DaemonSettleMs;
            if (settledDaemon)
            {
                foreach (var m in members)
                {
                    if (m.Sid <= 0 || m.Sid == main.Pid || found.Contains(m.Sid) || run.Groups.Contains(m.Sid)) continue;
                    if (Find(table, m.Sid) is not { } leader || leader.Ppid != main.Pid) continue;
                    if (leader.StartTime > run.MainSinceTicks) found = found.Add(m.Sid);
                }
            }
        }
        foreign = found;
        if (!found.IsEmpty) members.RemoveAll(m => found.Contains(m.Sid));
        return members;
    }

    /// <summary>
    /// A look at a run that starts up: records its processes' groups, extends its start-up while new processes appear,
    /// and hands over from a launcher that still runs to a daemon that left it (see <see cref="Identity"/>).
    /// </summary>
    public static LookVerdict OnLook(ServiceSpec spec, RunIdentity run, IProcessTable table, long now, int self, int selfGroup)
    {
        var members = RunProcesses(run, table, now, out var foreign);
        var groups = run.Groups;
        var seen = run.Seen;
        var lastNew = run.LastNewAt;
        var leaders = run.GroupLeaders;
        var launcherSessions = run.LauncherSessions;
        var launcherStat = run.Main is { Launched: true } l0 ? members.FirstOrDefault(m => l0.Is(m)) : default;
        foreach (var m in members)
        {
            groups = RunIdentity.WithGroup(groups, m.Pgid);
            if (m.Pgid > 0 && !leaders.ContainsKey(m.Pgid) && Find(table, m.Pgid) is { } leader) leaders = leaders.SetItem(m.Pgid,
                leader.StartTime);
            // A session the running launcher started with its own executable (see RunIdentity.LauncherSessions).
            if (launcherStat.Pid > 0 && m.Sid == m.Pid && m.Ppid == launcherStat.Pid && m.Sid != launcherStat.Sid
                && !launcherSessions.Contains(m.Sid)
                && SameExecutable(table, m.Pid, launcherStat.Pid))
                launcherSessions = launcherSessions.Add(m.Sid);
            if (m.Pid != run.Launcher?.Pid && !seen.Contains(m.Pid))
            {
                seen = seen.Add(m.Pid);
                lastNew = now;
            }
        }
        run = run with
        {
            Groups = groups, Seen = seen, LastNewAt = lastNew, Foreign = foreign, GroupLeaders = leaders,
                LauncherSessions = launcherSessions,
            StartupUntil = Lineage.StartupUntil(run.SpawnedAt, lastNew),
        };
        // A daemon may call setsid after Tend took it for the main process: its group and session are what they are now.
        if (run.Main is { Launched: false } current && members.FirstOrDefault(m => current.Is(m)) is { Pid: > 0 } now0
            && (now0.Sid != current.Sid || (now0.Pgid != current.Pgid && now0.Pgid != selfGroup)))
            run = run with { Main = current with { Sid = now0.Sid, Pgid = now0.Pgid != selfGroup ? now0.Pgid : 0 },
                Groups = RunIdentity.WithGroup(run.Groups, now0.Pgid) };
        if (run.Main is { Launched: true } launcher && members.FirstOrDefault(m => launcher.Is(m)) is { Pid: > 0 } ls)
        {
            // A daemon that left the launcher — in a session of its own, its starter gone (re-parented to Tend) — and is
            // called by the service's name (the seed's rule): Debian's apache2 script waiting for its pid file. Anything
            // else waits for the launcher's end: an application's helper, a wrapper's server, a server's login.
            var left = members.Where(m => m.Sid != ls.Sid && m.Ppid == self && NamedLikeTheService(spec, m)).ToList();
            if (left.Count > 0)
                return HandOver(spec, run, left, table, self, selfGroup, now,
                    $"a process of its lineage left its launcher (pid {launcher.Pid}), which still runs");
        }
        else if (run.Main is { IsChild: false, Launched: false } main && run.Launcher is not null)
        {
            // A main process found by lineage that is not Tend's child: its end is only seen here (and by the scan).
            if (!table.Processes.Any(p => main.Is(p) && !p.Gone)) return new LookVerdict(run, MainVanished: true);
            // One the service declared (MAINPID=) is not second-guessed by lineage.
            if (main.Declared) return new LookVerdict(run);
            var better = HandOverCandidates(run, table, now, main.Pid);
            if (better.Any(c => c.Ppid == self))
            {
                // A daemon re-parented to Tend appeared since (postgres after pg_ctl): it is the better main process.
                better.Add(members.First(m => main.Is(m)));
                return HandOver(spec, run, better, table, self, selfGroup, now, $"pid {main.Pid} still waits for what it started");
            }
        }
        return new LookVerdict(run);
    }

    /// <summary>
    /// A process of the run ended while it runs (the phase is <see cref="ServicePhase.Running"/>): the main process, the
    /// launcher that lingered beside a daemon, or neither (<see cref="ExitVerdictKind.NotOurs"/>). The table is read
    /// after the exit was reaped.
    /// </summary>
    public static ExitVerdict OnExit(ServiceSpec spec, RunIdentity run, int pid, ExitStatus status, IProcessTable table, long now, int self,
        int selfGroup)
    {
        var main = run.Main;
        var follows = run.Mark != 0 && !spec.OneShot && spec.Schedule is null;
        if (run.Launcher is { } l && l.Pid == pid && main is not null && main.Pid != pid)
        {
            // The launcher lingered beside a daemon: its end counts — but beside a main process the service declared
            // (MAINPID=), which holds until it exits itself (systemd ignores the end of a process that is no longer the main pid).
            var after = run with { Launcher = null };
            if (main.Declared) return new ExitVerdict(ExitVerdictKind.LauncherDone, after, status);
            if (!status.Success)
                return Ended(spec, after, pid, status, table, now,
                    $"its launcher (pid {pid}) exited with {status} while pid {main.Pid} was its main process");
            // Exit 0: the main process is chosen afresh among what it left — the top of the tree (mysqld_safe, not the
            // mariadbd it watches), now that the launcher's children were re-parented.
            var candidates = HandOverCandidates(after, table, now, pid);
            if (candidates.Count == 0 || !follows) return new ExitVerdict(ExitVerdictKind.LauncherDone, after, status);
            var chosen = Choose(spec, after, candidates, self, selfGroup);
            if (chosen.Main.Pid == main.Pid) return new ExitVerdict(ExitVerdictKind.LauncherDone, after with { Groups = chosen.Groups },
                status);
            return Handed(after, chosen, table, now, status,
                $"its launcher (pid {pid}) exited 0; pid {chosen.Main.Pid} is the top of what it left");
        }
        if (main is null || main.Pid != pid) return new ExitVerdict(ExitVerdictKind.NotOurs, run, status);

        if (main.Launched)
        {
            // The launcher itself was the main process: an exit 0 hands over to what it started (an init script, a daemon's
            // default mode). While the run starts up, any process of its lineage; afterwards, those of its groups.
            if (follows && status.Success)
            {
                var candidates = now < run.StartupUntil
                    ? Lineage.Marked(table.Processes, run.Mark, pid)
                    : HandOverCandidates(run with { Foreign = [] }, table, now, pid);
                // A launcher that served a while (sshd as the command, stopped by hand) leaves its connections, not a daemon.
                if (now - run.SpawnedAt >= Lineage.DaemonSettleMs && !run.LauncherSessions.IsEmpty)
                    candidates.RemoveAll(c => run.LauncherSessions.Contains(c.Sid));
                if (candidates.Count > 0)
                    return Handed(run with { Launcher = null, Foreign = [] }, Choose(spec, run, candidates, self, selfGroup), table, now,
                        status, $"launcher (pid {pid}) exited 0");
            }
            return Ended(spec, run with { Launcher = null }, pid, status, table, now, null);
        }

        // The main process the service declared (MAINPID=) ended: so did the run, whatever else of it still runs (a launcher
        // that waited on it is a leftover, stopped with the rest).
        if (main.Declared)
            return Ended(spec, run, pid, status, table, now,
                run.Launcher is { } lingering && table.Processes.Any(p => lingering.Is(p) && !p.Gone)
                    ? $"pid {pid} (its main process by MAINPID=) ended with {status}; its launcher (pid {lingering.Pid}) still runs, " +
                        "a leftover of the run"
                    : null);

        // A daemon (or an adopted process) was the main process.
        if (status.Unknown && run.Launcher is { } launcher && table.Processes.Any(p => launcher.Is(p) && !p.Gone))
        {
            // Not Tend's child, and its parent reaped it (pg_ctl under pg_ctlcluster): the launcher has the last word again.
            var detached = HandOverCandidates(run, table, now, pid);
            return detached.Count > 0
                ? Handed(run, Choose(spec, run, detached, self, selfGroup), table, now, status,
                    $"pid {pid} ended while its launcher (pid {launcher.Pid}) still runs")
                : new ExitVerdict(ExitVerdictKind.BackToLauncher, run with { Main = launcher, MainSince = now }, status,
                    $"pid {pid} ended while its launcher still runs; following the launcher (pid {launcher.Pid}) again", Chosen: launcher);
        }
        if (follows && (status.Success || status.Unknown) && now < run.StartupUntil)
        {
            // A daemon that ends while starting up hands over to what it started (a second fork of a double-forking daemon).
            var candidates = HandOverCandidates(run, table, now, pid);
            if (candidates.Count > 0) return Handed(run, Choose(spec, run, candidates, self, selfGroup), table, now, status,
                $"pid {pid} ended while starting up");
        }
        else if (follows && status.Success && Successor(run, table, now, main, self) is { Pid: > 0 } next)
        {
            var chosen = Choose(spec, run, [next], self, selfGroup);
            return Handed(run, chosen, table, now, status,
                $"pid {pid} exited 0 and left a new copy of itself that it started (pid {next.Pid}, {next.Comm}): a binary upgrade or " +
                    $"re-exec");
        }
        return Ended(spec, run, pid, status, table, now, null);
    }

    /// <summary>
    /// The new copy a main process that exits 0 leaves to carry on (nginx's new master after USR2 and QUIT; a server that
    /// re-executes itself): a live process of the run with the same name, started after it, in its session or group,
    /// re-parented to Tend since (its parent, the old main process, is gone).
    /// </summary>
    private static ProcStat Successor(RunIdentity run, IProcessTable table, long now, TrackedProcess main, int self)
    {
        if (main.Comm is null) return default;
        return HandOverCandidates(run, table, now, main.Pid)
            .Where(m => m.Ppid == self && m.Comm == main.Comm && m.StartTime > main.StartTime
                && (m.Sid == main.Pid || m.Pgid == main.Pid || (main.Sid > 0 && m.Sid == main.Sid) || (main.Pgid > 0
                    && m.Pgid == main.Pgid)))
            .OrderBy(m => m.StartTime).FirstOrDefault();
    }

    /// <summary>
    /// The processes a main process that exited (<paramref name="exitedPid"/>) hands over to: the live processes of the
    /// run's lineage — any while the run starts up, afterwards those in a group or session it had while starting up;
    /// never a launcher that still lingers, nor what runs in its session.
    /// </summary>
    public static List<ProcStat> HandOverCandidates(RunIdentity run, IProcessTable table, long now, int exitedPid)
    {
        var members = RunProcesses(run, table, now, out _, except: exitedPid);
        if (now >= run.StartupUntil) members = Lineage.InGroups(members, run.Groups);
        if (run.Launcher is { } l && l.Pid != exitedPid && members.FirstOrDefault(m => l.Is(m)) is { Pid: > 0 } ls)
            members = Lineage.Detached(members, ls.Sid);
        return members;
    }

    /// <summary>The best of <paramref name="candidates"/> as the main process (<see cref="Lineage.ChooseMain"/>), and the run's groups with
    /// every candidate's.</summary>
    public static (ProcStat Chosen, TrackedProcess Main, ImmutableArray<int> Groups) Choose(ServiceSpec spec, RunIdentity run,
        List<ProcStat> candidates, int self, int selfGroup)
    {
        var launcherSid = run.Launcher is { } l ? l.Sid > 0 ? l.Sid : l.Pid : 0;
        var d = Lineage.ChooseMain(candidates, c => ProcFs.MatchesByComm(c, spec.EffectiveMatchName), launcherSid, self);
        var groups = run.Groups;
        foreach (var c in candidates) groups = RunIdentity.WithGroup(groups, c.Pgid);
        // Only a group of its own is the daemon's to signal; one it shares with Tend is not.
        return (d, new TrackedProcess(d.Pid, d.StartTime, d.Pgid != selfGroup ? d.Pgid : 0, IsChild: d.Ppid == self, Launched: false,
            d.Comm, d.Sid), groups);
    }

    private static LookVerdict HandOver(ServiceSpec spec, RunIdentity run, List<ProcStat> candidates, IProcessTable table, int self,
        int selfGroup, long now, string why)
    {
        var chosen = Choose(spec, run, candidates, self, selfGroup);
        if (run.Main is { } current && current.Pid == chosen.Main.Pid) return new LookVerdict(run with { Groups = chosen.Groups });
        return new LookVerdict(run with { Main = chosen.Main, Groups = chosen.Groups, MainSince = now, MainSinceTicks = Newest(table) },
            Why: why, Chosen: chosen.Main);
    }

    private static ExitVerdict Handed(RunIdentity run, (ProcStat Chosen, TrackedProcess Main, ImmutableArray<int> Groups) chosen,
        IProcessTable table, long now,
        ExitStatus status, string why) =>
        new(ExitVerdictKind.HandOver, run with { Main = chosen.Main, Groups = chosen.Groups, MainSince = now,
            MainSinceTicks = Newest(table) }, status, why, chosen.Main);

    /// <summary>The newest start time in <paramref name="table"/>: no process started later is in it.</summary>
    private static ulong Newest(IProcessTable table)
    {
        ulong newest = 0;
        foreach (var p in table.Processes) newest = Math.Max(newest, p.StartTime);
        return newest;
    }

    /// <summary>
    /// The run ended: its main process died (or its launcher failed). While it started up (or in kill mode
    /// control-group), the groups of every process it left join those a cleanup reaches, even one that detached
    /// before Tend first looked (a launcher that exits 3 right after <c>setsid -f mydaemon</c>).
    /// </summary>
    private static ExitVerdict Ended(ServiceSpec spec, RunIdentity run, int pid, ExitStatus status, IProcessTable table, long now,
        string? why)
    {
        if (run.Mark != 0 && spec.KillMode != KillMode.Process && (now < run.StartupUntil || spec.KillMode == KillMode.ControlGroup))
        {
            var left = spec.KillMode == KillMode.ControlGroup ? Lineage.Marked(table.Processes, run.Mark, pid) : RunProcesses(run, table,
                now, out _, except: pid);
            var groups = run.Groups;
            foreach (var m in left) groups = RunIdentity.WithGroup(groups, m.Pgid);
            run = run with { Groups = groups };
        }
        return new ExitVerdict(ExitVerdictKind.Ended, run, status, why);
    }

    /// <summary>
    /// What a signal to the service reaches, by its kill mode (systemd.kill(5)): each process group of the run that is
    /// proven still the run's (<see cref="IsRunsGroup"/>) — while it starts up (or in kill mode control-group) with the
    /// groups of every process of its lineage now — and the main process itself when no such group holds it (a daemon
    /// that left every group the run had). In kill mode process (and mixed, but for SIGKILL), the main process only.
    /// Returns the targets and the run's groups with those found now.
    /// </summary>
    public static (ImmutableArray<SignalTarget> Targets, ImmutableArray<int> Groups) Reach(ServiceSpec spec, RunIdentity run, int signal,
        IProcessTable table, long now)
    {
        var mainOnly = spec.KillMode == KillMode.Process || (spec.KillMode == KillMode.Mixed && signal != Libc.SIGKILL);
        var groups = run.Main is { } m0 ? RunIdentity.WithGroup(run.Groups, m0.Pgid) : run.Groups;
        if (!mainOnly && run.Mark != 0 && (now < run.StartupUntil || spec.KillMode == KillMode.ControlGroup))
        {
            var members = spec.KillMode == KillMode.ControlGroup ? Lineage.Marked(table.Processes, run.Mark) : RunProcesses(run, table, now,
                out _);
            foreach (var m in members) groups = RunIdentity.WithGroup(groups, m.Pgid);
        }
        var targets = ImmutableArray.CreateBuilder<SignalTarget>();
        if (!mainOnly)
            foreach (var g in groups)
                if (IsRunsGroup(run, g, table)) targets.Add(SignalTarget.Group(g));
        if (run.Main is { } main && table.Processes.FirstOrDefault(p => main.Is(p) && !p.Gone) is { Pid: > 0 } st)
        {
            // The main process is always reached, even when it left every group the run had (setsid after start-up).
            if (!targets.Any(t => t.IsGroup && t.Id == st.Pgid))
            {
                if (!mainOnly && st.Pgid == st.Pid)
                {
                    groups = RunIdentity.WithGroup(groups, st.Pid);
                    targets.Add(SignalTarget.Group(st.Pid));
                }
                else targets.Add(SignalTarget.Process(main.Pid, main.StartTime, main.Launched));
            }
        }
        return (targets.ToImmutable(), groups);
    }

    /// <summary>
    /// Whether process group <paramref name="pgid"/> is still the run's: one of its live members carries the run's mark;
    /// without a mark, its leader is the run's main process or launcher, or its leader is gone while members remain (a
    /// group id cannot be handed out again while a process is in that group: the kernel frees a pid number only when no
    /// process uses it as pid, process group or session — kernel/pid.c).
    /// </summary>
    public static bool IsRunsGroup(RunIdentity run, int pgid, IProcessTable table)
    {
        var anyMember = false;
        ProcStat? leader = null;
        foreach (var p in table.Processes) if (p.Pid == pgid) leader = p;
        // The id led now by another process than the one recorded: another group (a later login that got the pid).
        if (leader is { } now && run.GroupLeaders.TryGetValue(pgid,
            out var recorded) && recorded != 0 && now.StartTime != recorded) return false;
        foreach (var p in table.Processes)
        {
            if (p.Pgid != pgid || p.Gone) continue;
            if (run.Mark != 0 && p.Mark == run.Mark) return true;
            anyMember = true;
        }
        if (run.Mark != 0 || !anyMember) return false;
        if (leader is not { } l) return true;
        return (run.Main is { } m && m.Is(l)) || (run.Launcher is { } la && la.Is(l));
    }

    /// <summary>
    /// <c>MAINPID=</c> from the service (sd_notify(3)): <paramref name="p"/> (read with its mark) becomes the run's main
    /// process when it is the run's own — it carries the run's mark; without marks, it is in one of the run's process
    /// groups — as systemd accepts a MAINPID only from the unit's cgroup. Null: refused (a stranger, or another run's).
    /// The launcher, if it was the main process, lingers beside it until it exits. The process holds as the main process
    /// until it exits (<see cref="TrackedProcess.Declared"/>).
    /// </summary>
    public static RunIdentity? OnMainPid(RunIdentity run, in ProcStat p, int self, long now)
    {
        if (run.Main is null || p.Gone) return null;
        var own = run.Mark != 0 ? p.Mark == run.Mark : run.Groups.Contains(p.Pgid);
        if (!own) return null;
        // Its group is the service's own when the run recorded it or the process leads it; else only it is signalled.
        var pgid = run.Groups.Contains(p.Pgid) || p.Pgid == p.Pid ? p.Pgid : 0;
        var main = new TrackedProcess(p.Pid, p.StartTime, pgid, IsChild: p.Ppid == self, Launched: false, p.Comm, p.Sid)
        {
            Declared = true,
        };
        return run with { Main = main, MainSince = now, Groups = RunIdentity.WithGroup(run.Groups, pgid) };
    }

    /// <summary>Where a signal forwarded to the service (SIGHUP, SIGUSR1…, <c>tend signal</c>) goes: the main process's group when it is
    /// proven the run's, else the main process.</summary>
    public static SignalTarget? MainTarget(RunIdentity run, IProcessTable table)
    {
        if (run.Main is not { } main || table.Processes.FirstOrDefault(p => main.Is(p) && !p.Gone) is not { Pid: > 0 } st) return null;
        return main.Pgid > 0 && st.Pgid == main.Pgid && IsRunsGroup(run, main.Pgid, table)
            ? SignalTarget.Group(main.Pgid)
            : SignalTarget.Process(main.Pid, main.StartTime, main.Launched);
    }

    /// <summary>
    /// Whether <paramref name="p"/> is called like the service: its match name (the command's basename, the seed's rule),
    /// or the NAME of <c>service NAME …</c> and <c>invoke-rc.d NAME …</c> (the init script they run is /etc/init.d/NAME).
    /// </summary>
    internal static bool NamedLikeTheService(ServiceSpec spec, in ProcStat p)
    {
        if (Named(p, spec.EffectiveMatchName)) return true;
        var command = spec.Command;
        return spec.MatchName is null && command.BaseName is "service" or "invoke-rc.d" && command.Arguments.Length > 0 && Named(p,
            command.Arguments[0]);
    }

    /// <summary>Whether <paramref name="p"/> is called <paramref name="name"/> (comm, which the kernel cuts at 15 bytes).</summary>
    internal static bool Named(in ProcStat p, string name) =>
        p.Comm == name || (name.Length > 15 && p.Comm.Length == 15 && name.StartsWith(p.Comm, StringComparison.Ordinal));

    private static ProcStat? Find(IProcessTable table, int pid)
    {
        foreach (var p in table.Processes) if (p.Pid == pid) return p;
        return null;
    }

    private static bool SameExecutable(IProcessTable table, int a, int b) => table.Exe(a) is { } ea && ea == table.Exe(b);
}
