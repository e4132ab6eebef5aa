using System.Collections.Immutable;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// What one service's processes use at one moment, read from /proc only when asked (<c>tend status</c>, a scrape of
/// <c>/metrics</c>): nothing is sampled in between, so an idle Tend never wakes for it.
/// </summary>
/// <param name="Processes">How many processes its run has now.</param>
/// <param name="RssBytes">The sum of their resident sets, in bytes (statm's resident pages; pages two of them share count twice).</param>
/// <param name="CpuSeconds">The CPU time they and the children they reaped spent, user and system, in seconds (proc(5), stat fields
/// 14–17).</param>
internal readonly record struct ServiceUsage(int Processes, long RssBytes, double CpuSeconds)
{
    /// <summary>
    /// Reads the usage of every service's run: its processes are those of its run mark, of the process groups a stop
    /// reaches, and the main process with its descendants (<see cref="RunIdentity"/>). A service with no process gets
    /// zeros. One pass over /proc for all of them.
    /// </summary>
    public static ServiceUsage[] Measure(ImmutableArray<ServiceRuntime> runtimes)
    {
        var result = new ServiceUsage[runtimes.Length];
        if (runtimes.All(r => r.Process is null)) return result;
        var table = ProcFs.Snapshot(Libc.getpid());
        for (var i = 0; i < runtimes.Length; i++)
        {
            var run = runtimes[i].Run;
            if (run.Main is null) continue;
            var members = ProcFs.DescendantsOf(run.Main.Pid, table);
            members.Add(run.Main.Pid);
            foreach (var p in table)
                if ((run.Mark != 0 && p.Mark == run.Mark) || run.Groups.Contains(p.Pgid)) members.Add(p.Pid);
            long rss = 0;
            ulong ticks = 0;
            var count = 0;
            foreach (var pid in members)
            {
                if (!ProcFs.TryReadUsage(pid, out var bytes, out var cpu)) continue;
                rss += bytes;
                ticks += cpu;
                count++;
            }
            result[i] = new ServiceUsage(count, rss, ProcFs.TicksToSeconds(ticks));
        }
        return result;
    }
}
