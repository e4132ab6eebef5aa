using System.Collections.Immutable;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The lineage of the services' runs as /proc shows it (docs/lineage.md): owns the process table of the current round
/// of the supervisor's loop (read at most once per round), which runs still start up and when each is looked at next.
/// It answers questions about a run; what follows from the answers the supervisor records through the reconciler.
/// </summary>
internal sealed class RunLineage(int services, int self, int selfGroup)
{
    private readonly bool[] _watching = new bool[services];
    private List<ProcStat>? _processes;

    /// <summary>When (ms) the runs that start up are looked at next, or <see cref="long.MaxValue"/>.</summary>
    public long NextLookAt { get; private set; } = long.MaxValue;

    /// <summary>A new round of the loop, or exits were reaped: the process table must be read again when needed.</summary>
    public void NewRound() => _processes = null;

    /// <summary>The process table for this round (read once; see <see cref="ProcFs.Snapshot"/>).</summary>
    public List<ProcStat> Processes => _processes ??= ProcFs.Snapshot(self);

    /// <summary>Service <paramref name="i"/>'s new run starts up: look at it soon (<see cref="Lineage.NextLook"/>).</summary>
    public void Watch(int i, long now)
    {
        _watching[i] = true;
        NextLookAt = Math.Min(NextLookAt, Lineage.NextLook(now, now));
    }

    /// <summary>Whether service <paramref name="i"/>'s run is looked at.</summary>
    public bool IsWatched(int i) => _watching[i];

    /// <summary>Service <paramref name="i"/>'s run is not looked at any more (it started up, or ended).</summary>
    public void Unwatch(int i) => _watching[i] = false;

    /// <summary>When (ms) to look next, given what each watched run's look said (<see cref="long.MaxValue"/>: none is watched any more).</summary>
    public void LookNextAt(long at) => NextLookAt = at;

    /// <summary>The next look (ms), or <see cref="long.MaxValue"/> when no run starts up.</summary>
    public long NextWake()
    {
        if (Array.IndexOf(_watching, true) < 0) NextLookAt = long.MaxValue;
        return NextLookAt;
    }

    /// <summary>
    /// The live processes of run <paramref name="r"/>, but <paramref name="except"/> and the sessions its settled daemon
    /// started itself (<see cref="Lineage.InDaemonsSession"/>); <paramref name="foreign"/> is the run's foreign sessions
    /// with those newly seen, so they stay foreign once their leader is gone.
    /// </summary>
    public List<ProcStat> Members(ServiceRuntime r, long now, out ImmutableArray<int> foreign, int except = 0)
    {
        var members = Lineage.Members(Processes, r.Mark, except);
        foreign = r.ForeignSessions;
        if (r.Process is not { Launched: false } main || r.Launcher is null || now - r.MainSince < Lineage.DaemonSettleMs)
        {
            var known = foreign;
            return known.IsEmpty ? members : [.. members.Where(m => !known.Contains(m.Sid))];
        }
        var found = foreign;
        members.RemoveAll(m =>
        {
            if (found.Contains(m.Sid)) return true;
            if (!Lineage.InDaemonsSession(m, Processes, main.Pid, r.Groups)) return false;
            found = found.Add(m.Sid);
            return true;
        });
        foreign = found;
        return members;
    }

    /// <summary>
    /// The processes a main process that exited 0 (<paramref name="exitedPid"/>) hands over to: the live processes of its
    /// run's lineage — any of them while the run starts up, afterwards those in a group or session it had while starting
    /// up; never a launcher that still lingers, nor what runs in its session (a daemon stopped by hand while Debian's
    /// apache2 script still waits is not replaced by that script).
    /// </summary>
    public List<ProcStat> HandOverCandidates(ServiceRuntime r, int exitedPid, long now)
    {
        var members = Members(r, now, out _, except: exitedPid);
        if (now >= r.StartupUntil) members = Lineage.InGroups(members, r.Groups);
        if (r.Launcher is { } l && l.Pid != exitedPid && members.Any(m => m.Pid == l.Pid))
            members = Lineage.Detached(members, l.Pid);
        return members;
    }

    /// <summary>
    /// The best of <paramref name="candidates"/> as the service's main process (<see cref="Lineage.ChooseMain"/>), as a
    /// tracked process, and the run's groups with every candidate's.
    /// </summary>
    public (ProcStat Chosen, TrackedProcess Main, ImmutableArray<int> Groups) Choose(ServiceSpec spec, ServiceRuntime r, List<ProcStat> candidates)
    {
        var d = Lineage.ChooseMain(candidates, c => ProcFs.MatchesByComm(c, spec.EffectiveMatchName), r.Launcher?.Pid ?? 0, self);
        var groups = r.Groups;
        foreach (var c in candidates) groups = Reconciler.WithGroup(groups, c.Pgid);
        // Only a group of its own is the daemon's to signal; one it shares with Tend is not.
        return (d, new TrackedProcess(d.Pid, d.StartTime, d.Pgid != selfGroup ? d.Pgid : 0, IsChild: d.Ppid == self, Launched: false), groups);
    }

    /// <summary>What a look at <paramref name="members"/> adds to run <paramref name="r"/>: their groups, the pids seen (the launcher aside), when a new one was last seen.</summary>
    public static (ImmutableArray<int> Groups, ImmutableArray<int> Seen, long LastNew) Seen(ServiceRuntime r, List<ProcStat> members, long now)
    {
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
        return (groups, seen, lastNew);
    }
}
