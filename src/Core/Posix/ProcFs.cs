using System.Globalization;
using System.Text;

namespace Tend.Posix;

/// <summary>One line of /proc/PID/stat, the fields Tend uses, and the process's run mark (<see cref="RunMarks"/>).</summary>
/// <param name="Pid">Field 1.</param>
/// <param name="Comm">Field 2: the executable's name, cut at 15 bytes.</param>
/// <param name="State">Field 3 (R, S, D, Z, X…).</param>
/// <param name="Ppid">Field 4: the parent (after re-parenting, the subreaper or PID 1).</param>
/// <param name="Pgid">Field 5: the process group.</param>
/// <param name="StartTime">Field 22: clock ticks after boot.</param>
/// <param name="Sid">Field 6: the session.</param>
/// <param name="Mark">The run mark it inherited, or 0 (only read by <see cref="ProcFs.Snapshot"/>).</param>
internal readonly record struct ProcStat(int Pid, string Comm, char State, int Ppid, int Pgid, ulong StartTime, int Sid = 0, ulong Mark = 0)
{
    /// <summary>A zombie or a dead task: it runs no more, whatever its parent does.</summary>
    public bool Gone => State is 'Z' or 'X';
}

/// <summary>Reads the process table from /proc.</summary>
internal static class ProcFs
{
    /// <summary>The kernel cuts comm at 15 bytes.</summary>
    private const int CommLength = 15;

    private static readonly long TicksPerSecond = ClockTicksPerSecond();

    /// <summary>USER_HZ (100 on every Linux Tend runs on); a wrong value would misdate every process, so none is guessed.</summary>
    private static long ClockTicksPerSecond()
    {
        var hz = Libc.sysconf(Libc._SC_CLK_TCK);
        return hz > 0 ? hz : throw new Libc.Failure(Libc.LastError, "sysconf(_SC_CLK_TCK)");
    }

    /// <summary>
    /// Now, in the unit of /proc/PID/stat's start time (clock ticks since boot), rounded down: a process
    /// spawned after this call has a start time at least this. Reading a just-spawned child's stat instead
    /// would wait for its exec to finish (the kernel holds the task's exec lock), ~0.3 ms per spawn.
    /// </summary>
    public static unsafe ulong BootTicksNow()
    {
        Libc.TimeSpec ts;
        // It fails only where CLOCK_BOOTTIME does not exist (Linux before 2.6.39): no start time could be compared then.
        Libc.Check(Libc.clock_gettime(Libc.CLOCK_BOOTTIME, &ts), "clock_gettime(CLOCK_BOOTTIME)");
        return (ulong)(ts.Seconds * TicksPerSecond + ts.Nanoseconds * TicksPerSecond / 1_000_000_000);
    }

    public static bool TryReadStat(int pid, out ProcStat stat)
    {
        stat = default;
        Span<byte> buffer = stackalloc byte[1024];
        var n = ReadSmall(pid, "stat"u8, buffer);
        return n > 0 && TryParseStat(buffer[..n], out stat);
    }

    /// <summary>Reads /proc/PID/FILE into <paramref name="buffer"/> without building a path string; returns the byte count, or
    /// -1.</summary>
    private static unsafe int ReadSmall(int pid, ReadOnlySpan<byte> file, Span<byte> buffer)
    {
        Span<byte> path = stackalloc byte[64];
        "/proc/"u8.CopyTo(path);
        if (!pid.TryFormat(path[6..], out var digits, default, CultureInfo.InvariantCulture)) return -1;
        var at = 6 + digits;
        path[at++] = (byte)'/';
        file.CopyTo(path[at..]);
        path[at + file.Length] = 0;
        fixed (byte* p = path) return ReadSmall(p, buffer);
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length of a small /proc file with plain syscalls (no FileStream,
    /// no exceptions for a process that vanished, no allocation); returns the byte count, or -1.
    /// </summary>
    private static unsafe int ReadSmall(byte* path, Span<byte> buffer)
    {
        var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return -1;
        try
        {
            var total = 0;
            fixed (byte* p = buffer)
            {
                while (total < buffer.Length)
                {
                    var n = Libc.read(fd, p + total, buffer.Length - total);
                    if (n < 0 && Libc.LastError == Libc.EINTR) continue;
                    if (n <= 0) break;
                    total += (int)n;
                }
            }
            return total;
        }
        // Ignored: a read-only /proc file has nothing to flush, and Linux releases the descriptor even when close
        // reports an error (close(2)).
        finally { _ = Libc.close(fd); }
    }

    /// <summary>Parses the bytes of /proc/PID/stat (see <see cref="TryParseStat(string, out ProcStat)"/>); allocates only the
    /// comm.</summary>
    public static bool TryParseStat(ReadOnlySpan<byte> text, out ProcStat stat)
    {
        stat = default;
        var open = text.IndexOf((byte)'(');
        var close = text.LastIndexOf((byte)')');
        if (open < 0 || close < open) return false;
        if (!TryInt(text[..open].Trim((byte)' '), out var pid)) return false;
        var comm = CommNames.Get(text.Slice(open + 1, close - open - 1));
        // Fields from 3 (state) on, separated by single spaces; starttime is field 22.
        var rest = text[(close + 1)..].TrimStart((byte)' ');
        char state = '?';
        int ppid = 0, pgid = 0, sid = 0;
        ulong start = 0;
        for (var field = 3; field <= 22; field++)
        {
            var space = rest.IndexOf((byte)' ');
            var value = space < 0 ? rest : rest[..space];
            switch (field)
            {
                case 3 when value.Length > 0: state = (char)value[0]; break;
                case 4 when !TryInt(value, out ppid): return false;
                case 5 when !TryInt(value, out pgid): return false;
                case 6 when !TryInt(value, out sid): return false;
                case 22 when !System.Buffers.Text.Utf8Parser.TryParse(value, out start, out _): return false;
            }
            if (space < 0) { if (field < 22) return false; break; }
            rest = rest[(space + 1)..];
        }
        stat = new ProcStat(pid, comm, state, ppid, pgid, start, sid);
        return true;
    }

    private static bool TryInt(ReadOnlySpan<byte> value, out int result) =>
        System.Buffers.Text.Utf8Parser.TryParse(value, out result, out var used) && used == value.Length;

    /// <summary>Parses "pid (comm) S ppid pgrp session ... starttime(22)"; comm may itself hold spaces and parentheses.</summary>
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
        if (!int.TryParse(rest[parts[3]], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sid)) return false;
        if (!ulong.TryParse(rest[parts[19]], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return false;
        stat = new ProcStat(pid, comm, rest[parts[0]][0], ppid, pgid, start, sid);
        return true;
    }

    /// <summary>
    /// What <paramref name="pid"/> uses now: its resident set in bytes (field 2 of /proc/PID/statm, in pages) and the CPU
    /// time it and its reaped children spent, in clock ticks (fields 14–17 of /proc/PID/stat: utime, stime, cutime, cstime;
    /// proc(5)). False when the process is gone.
    /// </summary>
    public static bool TryReadUsage(int pid, out long rssBytes, out ulong cpuTicks)
    {
        rssBytes = 0;
        cpuTicks = 0;
        Span<byte> buffer = stackalloc byte[1024];
        var n = ReadSmall(pid, "stat"u8, buffer);
        if (n <= 0) return false;
        var close = buffer[..n].LastIndexOf((byte)')');
        if (close < 0) return false;
        var rest = buffer[(close + 1)..n].TrimStart((byte)' ');
        for (var field = 3; field <= 17; field++)
        {
            var space = rest.IndexOf((byte)' ');
            if (space < 0) return false;
            if (field >= 14)
            {
                if (!System.Buffers.Text.Utf8Parser.TryParse(rest[..space], out ulong ticks, out _)) return false;
                cpuTicks += ticks;
            }
            rest = rest[(space + 1)..];
        }
        n = ReadSmall(pid, "statm"u8, buffer);
        if (n <= 0) return false;
        var text = buffer[..n];
        var sep = text.IndexOf((byte)' ');
        if (sep < 0 || !System.Buffers.Text.Utf8Parser.TryParse(text[(sep + 1)..], out long pages, out _)) return false;
        rssBytes = pages * Environment.SystemPageSize;
        return true;
    }

    /// <summary>How many file descriptors this process holds open (entries of /proc/self/fd), or -1 when /proc is not
    /// readable.</summary>
    public static int CountOpenFds()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Clock ticks as seconds (USER_HZ, sysconf(_SC_CLK_TCK)).</summary>
    public static double TicksToSeconds(ulong ticks) => (double)ticks / TicksPerSecond;

    /// <summary>
    /// The run mark of <paramref name="pid"/>: the soft limit of RLIMIT_RTTIME in /proc/PID/limits (readable by
    /// anyone, proc(5)), or 0 when it is unlimited or the process is gone.
    /// </summary>
    public static ulong ReadMark(int pid)
    {
        Span<byte> buffer = stackalloc byte[2048];
        var n = ReadSmall(pid, "limits"u8, buffer);
        return n > 0 ? ParseMark(buffer[..n]) : 0;
    }

    /// <summary>The soft value of the "Max realtime timeout" line of a /proc/PID/limits text; 0 for "unlimited" or none.</summary>
    public static ulong ParseMark(ReadOnlySpan<byte> limits)
    {
        var at = limits.IndexOf("Max realtime timeout"u8);
        if (at < 0) return 0;
        var rest = limits[(at + "Max realtime timeout".Length)..].TrimStart((byte)' ');
        ulong value = 0;
        var digits = 0;
        foreach (var b in rest)
        {
            if (b is < (byte)'0' or > (byte)'9') break;
            value = value * 10 + (ulong)(b - '0');
            digits++;
        }
        return digits is > 0 and <= 19 ? value : 0;
    }

    /// <summary>The real uid of <paramref name="pid"/> (the "Uid:" line of /proc/PID/status), or -1.</summary>
    public static long Uid(int pid)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var n = ReadSmall(pid, "status"u8, buffer);
        if (n <= 0) return -1;
        var text = buffer[..n];
        var at = text.IndexOf("\nUid:"u8);
        if (at < 0) return -1;
        var rest = text[(at + 5)..].TrimStart("\t "u8);
        long uid = 0;
        var digits = 0;
        foreach (var b in rest)
        {
            if (b is < (byte)'0' or > (byte)'9') break;
            uid = uid * 10 + (b - '0');
            digits++;
        }
        return digits > 0 ? uid : -1;
    }

    /// <summary>
    /// The process table now: every process's stat, and for <paramref name="self"/>'s descendants (every process,
    /// when it is PID 1) its run mark. Processes that vanish while it reads are left out.
    /// </summary>
    /// <param name="self">This process (left out of the table).</param>
    /// <param name="into">A list to fill (cleared first) instead of a new one: the supervisor reads the table several times a
    /// second while runs start up, and reuses one list for it.</param>
    public static List<ProcStat> Snapshot(int self, List<ProcStat>? into = null)
    {
        var all = into ?? new List<ProcStat>(64);
        all.Clear();
        foreach (var pid in Pids())
            if (pid != self && TryReadStat(pid, out var st)) all.Add(st);
        var descendants = self == 1 ? null : DescendantsOf(self, all);
        for (var i = 0; i < all.Count; i++)
            if (descendants is null || descendants.Contains(all[i].Pid))
                all[i] = all[i] with { Mark = ReadMark(all[i].Pid) };
        return all;
    }

    /// <summary>The pids whose parent chain in <paramref name="table"/> leads to <paramref name="root"/>.</summary>
    public static HashSet<int> DescendantsOf(int root, IReadOnlyList<ProcStat> table)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var p in table)
        {
            if (!children.TryGetValue(p.Ppid, out var list)) children[p.Ppid] = list = [];
            list.Add(p.Pid);
        }
        var result = new HashSet<int>();
        var stack = new Stack<int>();
        stack.Push(root);
        while (stack.Count > 0)
            if (children.TryGetValue(stack.Pop(), out var list))
                foreach (var c in list)
                    if (result.Add(c)) stack.Push(c);
        return result;
    }

    /// <summary>
    /// The executable <paramref name="pid"/> runs (the target of /proc/PID/exe), or null when it cannot be read: the
    /// process is gone, is a kernel thread, or belongs to another user and Tend is not root (proc(5): ptrace access mode).
    /// </summary>
    public static unsafe string? Exe(int pid)
    {
        Span<byte> path = stackalloc byte[32];
        "/proc/"u8.CopyTo(path);
        if (!pid.TryFormat(path[6..], out var digits, default, CultureInfo.InvariantCulture)) return null;
        "/exe"u8.CopyTo(path[(6 + digits)..]);
        path[6 + digits + 4] = 0;
        Span<byte> target = stackalloc byte[4096];
        nint n;
        fixed (byte* p = path)
        fixed (byte* t = target)
            n = Libc.readlink(p, t, target.Length);
        return n > 0 ? Encoding.UTF8.GetString(target[..(int)n]) : null;
    }

    /// <summary>The basename of argv[0], or null for kernel threads and vanished processes.</summary>
    public static string? Argv0BaseName(int pid)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var n = ReadSmall(pid, "cmdline"u8, buffer);
        if (n <= 0) return null;
        var bytes = buffer[..n];
        var end = bytes.IndexOf((byte)0);
        var argv0 = Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        var slash = argv0.LastIndexOf('/');
        return slash >= 0 ? argv0[(slash + 1)..] : argv0;
    }

    /// <summary>The pids in /proc, read without a string per entry.</summary>
    public static IEnumerable<int> Pids() =>
        new System.IO.Enumeration.FileSystemEnumerable<int>("/proc",
            (ref System.IO.Enumeration.FileSystemEntry e) => int.Parse(e.FileName, NumberStyles.None, CultureInfo.InvariantCulture),
            new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry e) =>
                e.IsDirectory && e.FileName.Length > 0 && char.IsAsciiDigit(e.FileName[0]) && int.TryParse(e.FileName, NumberStyles.None,
                    CultureInfo.InvariantCulture, out _),
        };

    /// <summary>
    /// True when <paramref name="stat"/>'s comm is <paramref name="name"/> (or its first 15 bytes, then argv[0] decides).
    /// Reads /proc/PID/cmdline only for long names: that read takes the target's memory map lock, which a process in
    /// the middle of an exec holds while the binary is read from disk.
    /// </summary>
    public static bool MatchesByComm(in ProcStat stat, string name) =>
        name.Length <= CommLength ? stat.Comm == name : stat.Comm.Length == CommLength && name.StartsWith(stat.Comm,
            StringComparison.Ordinal) && Argv0BaseName(stat.Pid) == name;

    /// <summary>True when <paramref name="stat"/> is a process called <paramref name="name"/> by comm or by argv[0].</summary>
    public static bool Matches(in ProcStat stat, string name)
    {
        var commMatch = name.Length > CommLength ? stat.Comm.Length == CommLength && name.StartsWith(stat.Comm,
            StringComparison.Ordinal) : stat.Comm == name;
        if (commMatch && name.Length <= CommLength) return true;
        return Argv0BaseName(stat.Pid) == name;
    }

    /// <summary>
    /// Live processes called <paramref name="name"/>, excluding <paramref name="exclude"/> and Tend itself; zombies
    /// and processes whose parent has the same name (workers of a daemon) are left out. Not root, only processes of
    /// <paramref name="uid"/> (when not null).
    /// </summary>
    public static List<ProcStat> FindByName(string name, int self, IReadOnlySet<int> exclude, long? uid = null)
    {
        var found = new List<ProcStat>();
        foreach (var pid in Pids())
        {
            if (pid == self || exclude.Contains(pid)) continue;
            if (!TryReadStat(pid, out var st) || st.Gone) continue;
            if (Matches(st, name) && (uid is null || Uid(pid) == uid)) found.Add(st);
        }
        var pids = found.Select(f => f.Pid).ToHashSet();
        found.RemoveAll(f => pids.Contains(f.Ppid));
        return found;
    }
}

/// <summary>
/// The names (comm) of processes as strings, made once per name per thread: the process table is read several times a second
/// while runs start up, and its names repeat (sleep, nginx, postgres). At most <see cref="Limit"/> names are kept.
/// </summary>
internal static class CommNames
{
    private const int Limit = 512;

    [ThreadStatic] private static Dictionary<string, string>? t_names;

    /// <summary>The string of the name <paramref name="utf8"/> (the bytes between the parentheses of /proc/PID/stat).</summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[64];
        if (utf8.Length > chars.Length) return Encoding.UTF8.GetString(utf8);
        var n = Encoding.UTF8.GetChars(utf8, chars);
        var names = t_names ??= new Dictionary<string, string>(StringComparer.Ordinal);
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..n], out var name)) return name;
        if (names.Count >= Limit) names.Clear();
        name = new string(chars[..n]);
        names[name] = name;
        return name;
    }
}
