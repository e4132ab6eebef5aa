using System.Globalization;
using System.Text;

namespace Tend.Posix;

/// <summary>One line of /proc/PID/stat, the fields Tend uses.</summary>
internal readonly record struct ProcStat(int Pid, string Comm, char State, int Ppid, int Pgid, ulong StartTime);

/// <summary>Reads the process table from /proc.</summary>
internal static class ProcFs
{
    /// <summary>The kernel cuts comm at 15 bytes.</summary>
    private const int CommLength = 15;

    private static readonly long TicksPerSecond = Math.Max(1, Libc.sysconf(Libc._SC_CLK_TCK));

    /// <summary>
    /// Now, in the unit of /proc/PID/stat's start time (clock ticks since boot), rounded down: a process
    /// spawned after this call has a start time at least this. Reading a just-spawned child's stat instead
    /// would wait for its exec to finish (the kernel holds the task's exec lock), ~0.3 ms per spawn.
    /// </summary>
    public static unsafe ulong BootTicksNow()
    {
        Libc.TimeSpec ts;
        Libc.clock_gettime(Libc.CLOCK_BOOTTIME, &ts);
        return (ulong)(ts.Seconds * TicksPerSecond + ts.Nanoseconds * TicksPerSecond / 1_000_000_000);
    }

    public static bool TryReadStat(int pid, out ProcStat stat)
    {
        stat = default;
        string text;
        try { text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        return TryParseStat(text, out stat);
    }

    /// <summary>Parses "pid (comm) S ppid pgrp ... starttime(22)"; comm may itself hold spaces and parentheses.</summary>
    public static bool TryParseStat(string text, out ProcStat stat)
    {
        stat = default;
        var open = text.IndexOf('(');
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open) return false;
        if (!int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        var comm = text.Substring(open + 1, close - open - 1);
        var rest = text.AsSpan(close + 1).Trim();
        // rest starts at field 3 (state); starttime is field 22, i.e. index 19 in rest.
        Span<Range> parts = stackalloc Range[21];
        var n = rest.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (n < 20) return false;
        if (!int.TryParse(rest[parts[1]], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ppid)) return false;
        if (!int.TryParse(rest[parts[2]], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pgid)) return false;
        if (!ulong.TryParse(rest[parts[19]], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return false;
        stat = new ProcStat(pid, comm, rest[parts[0]][0], ppid, pgid, start);
        return true;
    }

    /// <summary>The basename of argv[0], or null for kernel threads and vanished processes.</summary>
    public static string? Argv0BaseName(int pid)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (bytes.Length == 0) return null;
        var end = Array.IndexOf(bytes, (byte)0);
        var argv0 = Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end);
        var slash = argv0.LastIndexOf('/');
        return slash >= 0 ? argv0[(slash + 1)..] : argv0;
    }

    public static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                yield return pid;
        }
    }

    /// <summary>True when <paramref name="stat"/> is a process called <paramref name="name"/> by comm or by argv[0].</summary>
    public static bool Matches(in ProcStat stat, string name)
    {
        var commMatch = name.Length > CommLength ? stat.Comm.Length == CommLength && name.StartsWith(stat.Comm, StringComparison.Ordinal) : stat.Comm == name;
        if (commMatch && name.Length <= CommLength) return true;
        return Argv0BaseName(stat.Pid) == name;
    }

    /// <summary>
    /// Live processes called <paramref name="name"/>, excluding <paramref name="exclude"/> and Tend itself; zombies
    /// and processes whose parent has the same name (workers of a daemon) are left out.
    /// </summary>
    public static List<ProcStat> FindByName(string name, int self, IReadOnlySet<int> exclude)
    {
        var found = new List<ProcStat>();
        foreach (var pid in Pids())
        {
            if (pid == self || exclude.Contains(pid)) continue;
            if (!TryReadStat(pid, out var st) || st.State is 'Z' or 'X') continue;
            if (Matches(st, name)) found.Add(st);
        }
        var pids = found.Select(f => f.Pid).ToHashSet();
        found.RemoveAll(f => pids.Contains(f.Ppid));
        return found;
    }
}
