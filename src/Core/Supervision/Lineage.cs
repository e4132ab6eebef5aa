using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// How Tend knows a service by lineage: which processes are a run's, when it has started up, and which process is
/// its main one. Pure functions of a process table (<see cref="ProcFs.Snapshot"/>), tested with a fake one.
/// </summary>
/// <remarks>
/// A run's processes carry its mark (<see cref="RunMarks"/>). While the run starts up — at least
/// <see cref="StartupMinMs"/>, and until no new process of its lineage appeared for <see cref="StartupQuietMs"/>
/// (an init script that waits in a <c>sleep 1</c> loop keeps starting up), at most <see cref="StartupMaxMs"/> —
/// Tend looks at the process table now and then: every process with the mark is the service's, whatever its session,
/// and its process group joins the groups a stop reaches. Afterwards, a process the daemon starts in a session of
/// its own (an sshd login, a job) is not the service's: it survives a restart or a stop, as under Debian's ssh unit
/// (systemd's KillMode=process), s6 and runit. Looking costs nothing once every service has started up.
/// </remarks>
internal static class Lineage
{
    /// <summary>A run starts up for at least this long (ms).</summary>
    public const long StartupMinMs = 1000;

    /// <summary>A run has started up once no new process of its lineage appeared for this long (ms).</summary>
    public const long StartupQuietMs = 2000;

    /// <summary>A run starts up for at most this long (ms): a launcher such as <c>pg_ctl start -w</c> waits up to 60 s by
    /// default.</summary>
    public const long StartupMaxMs = 90_000;

    /// <summary>The first look at a new run's lineage (ms after its spawn); the interval then doubles up to
    /// <see cref="LookIntervalMaxMs"/>.</summary>
    public const long FirstLookMs = 20;

    /// <summary>The longest time (ms) between two looks while a run starts up: a daemon that detaches while its launcher lingers is
    /// followed within it.</summary>
    public const long LookIntervalMaxMs = 200;

    /// <summary>Until when (ms) a run that started at <paramref name="startedAt"/> starts up, given when a new process of its lineage was
    /// last seen (0: never).</summary>
    public static long StartupUntil(long startedAt, long lastNewMemberAt) =>
        Math.Min(startedAt + StartupMaxMs, Math.Max(startedAt + StartupMinMs, lastNewMemberAt == 0 ? 0 : lastNewMemberAt + StartupQuietMs));

    /// <summary>When to look next at a run that started at <paramref name="startedAt"/>: soon after the spawn, then less often.</summary>
    public static long NextLook(long startedAt, long now) => now + Math.Clamp(now - startedAt, FirstLookMs, LookIntervalMaxMs);

    /// <summary>How long (ms) a daemon found by lineage is the main process before the sessions it starts are its own business.</summary>
    public const long DaemonSettleMs = 200;

    /// <summary>
    /// Whether <paramref name="m"/> is in a session the main process <paramref name="main"/> started itself — its
    /// leader is a child of the main process — when the main process is a daemon that has settled: an sshd login, a
    /// client's postgres backend. Such a session belongs to itself, not to the service, even while the service starts
    /// up. A session recorded in <paramref name="groups"/> stays the service's; one whose leader is gone cannot be told.
    /// </summary>
    internal static bool InDaemonsSession(ProcStat m, IReadOnlyList<ProcStat> table, int main, IReadOnlyCollection<int> groups)
    {
        if (m.Sid <= 0 || m.Sid == main || groups.Contains(m.Sid)) return false;
        foreach (var p in table)
            if (p.Pid == m.Sid) return p.Ppid == main;
        return false;
    }

    /// <summary>The live processes in <paramref name="table"/> that carry <paramref name="mark"/>, but <paramref name="except"/>.</summary>
    internal static List<ProcStat> Marked(IReadOnlyList<ProcStat> table, ulong mark, int except = 0)
    {
        var list = new List<ProcStat>();
        if (mark == 0) return list;
        foreach (var p in table)
            if (p.Mark == mark && !p.Gone && p.Pid != except) list.Add(p);
        return list;
    }

    /// <summary>
    /// The members a launcher hands over to while it still runs: those that detached from its session (a daemon
    /// after <c>setsid</c>, the server <c>pg_ctl</c> started). What runs in the launcher's own session — its
    /// <c>sleep 1</c> loop, a background job — is still the launcher's business.
    /// </summary>
    internal static List<ProcStat> Detached(IReadOnlyList<ProcStat> members, int launcherSid) =>
        [.. members.Where(m => m.Sid != launcherSid)];

    /// <summary>
    /// Members of a run that has started up that are still the service's: in a process group or session it had
    /// while starting up. Sessions started later (logins, jobs) are their own.
    /// </summary>
    internal static List<ProcStat> InGroups(IReadOnlyList<ProcStat> members, IReadOnlyCollection<int> groups) =>
        [.. members.Where(m => groups.Contains(m.Pgid) || groups.Contains(m.Sid))];

    /// <summary>
    /// The main process among <paramref name="candidates"/> (not empty): one called by the match name (the seed's
    /// basename rule, now a hint); then one re-parented to the supervisor (its starter is gone: a daemon, not the
    /// <c>pg_ctl</c> that <c>pg_ctlcluster</c> still waits for); then one whose parent is not a candidate itself (the
    /// top of the tree: apache's or nginx's master, not a worker; mysqld_safe, not the mariadbd it watches); then one
    /// outside the launcher's session; then the oldest.
    /// </summary>
    internal static ProcStat ChooseMain(IReadOnlyList<ProcStat> candidates, Func<ProcStat, bool> named, int launcherSid, int supervisor)
    {
        var pids = candidates.Select(c => c.Pid).ToHashSet();
        return candidates
            .OrderByDescending(named)
            .ThenByDescending(c => c.Ppid == supervisor)
            .ThenByDescending(c => !pids.Contains(c.Ppid))
            .ThenByDescending(c => c.Sid != launcherSid)
            .ThenBy(c => c.StartTime)
            .ThenBy(c => c.Pid)
            .First();
    }
}
