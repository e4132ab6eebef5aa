using System.Diagnostics;
using System.Globalization;
using System.Text;

/// <summary>
/// Relaying services' output: 200 MB of 100-byte lines from one service, and from ten at once (20 MB each), through
/// Tend (raw with its log buffer on, the default; <c>--log-prefix</c> with the buffer on and off) and through what users would otherwise
/// use — a plain <c>cat</c> of the stream (no
/// prefix, the limit), supervisord with <c>stdout_logfile=/dev/stdout</c>, <c>s6-log 1</c> (copies each line to its
/// stdout) and <c>sed -u</c> adding a prefix. The output goes to a pipe this program reads, as a log driver would.
/// Figures: MB/s and lines/s of input from the first byte read to the last line, the relay's CPU time per GB of
/// input and its peak RSS (summed over its processes: ten seds, ten s6-logs). Each producer (a tiny static C program)
/// writes its share in 65,500-byte writes and then waits, so every relay is still there to be measured at the end.
/// </summary>
internal static class RelayBench
{
    public const long TotalBytes = 200_000_000;
    private const int LineBytes = 100;

    private const string ProducerSource = """
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            long left = atol(argv[1]);
            static char buf[65500];
            for (int i = 0; i < 655; i++) { memset(buf + i * 100, 'a' + i % 26, 99); buf[i * 100 + 99] = '\n'; }
            while (left > 0) {
                long n = left < (long)sizeof buf ? left : (long)sizeof buf, off = 0;
                while (off < n) { ssize_t w = write(1, buf + off, n - off); if (w <= 0) return 1; off += w; }
                left -= n;
            }
            for (;;) pause();
        }
        """;

    public sealed record Result(string Relay, int Services, List<double> MBps, List<double> LinesPerSecond, List<double> CpuMsPerGB,
        List<double> PeakRssMiB, string? Error)
    {
        /// <summary>The bytes relayed when the run stopped at the time limit, or null when it relayed everything.</summary>
        public long? Partial { get; init; }
    }

    /// <summary>The relays measured, in table order: name, the process names that are the relay, the script that runs N producers through
    /// it.</summary>
    private static (string Name, string[] Comms, Func<int, string, long, string, string> Script)[] Relays(string tend) =>
    [
        ("cat (plain pipe copy, no prefix)", ["cat"], (n, p, b, _) => $"{{ for i in $(seq {n}); do {p} {b} & done; wait; }} | cat"),
        ("tend (log buffer on, raw: the default)", ["tend"], (n, p, b,
            _) => $"exec {tend} --no-control {string.Join(' ', Enumerable.Repeat($"'{p} {b}'", n))}"),
        ("tend --log-prefix (log buffer on)", ["tend"], (n, p, b,
            _) => $"exec {tend} --no-control --log-prefix {string.Join(' ', Enumerable.Repeat($"'{p} {b}'", n))}"),
        ("tend --log-prefix --log-buffer 0 (no buffer)", ["tend"], (n, p, b,
            _) => $"exec {tend} --no-control --log-prefix --log-buffer 0 {string.Join(' ', Enumerable.Repeat($"'{p} {b}'", n))}"),
        ("supervisord (stdout_logfile=/dev/stdout)", ["supervisord"], (n, p, b,
            dir) => $"exec supervisord -n -c {SupervisordConf(dir, n, p, b)}"),
        ("s6-log 1 (to stdout, no prefix)", ["s6-log"], (n, p, b, _) => $"for i in $(seq {n}); do {{ {p} {b} | s6-log 1; }} & done; wait"),
        ("sed -u (prefix)", ["sed"], (n, p, b, _) => $"for i in $(seq {n}); do {{ {p} {b} | sed -u \"s/^/svc$i | /\"; }} & done; wait"),
    ];

    private static string SupervisordConf(string dir, int n, string producer, long bytes)
    {
        var conf =
            new StringBuilder($"[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile={dir}/supervisord.pid\n" +
                $"user=root\n");
        for (var i = 1; i <= n; i++)
            conf.Append($"\n[program:svc{i}]\ncommand={producer} " +
                $"{bytes}\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nautorestart=false\nstartsecs=0\n");
        var path = Path.Combine(dir, $"supervisord-{n}.conf");
        File.WriteAllText(path, conf.ToString());
        return path;
    }

    public static List<Result> Run(string tend, string work, int samples, Action<string> progress)
    {
        var producer = Dummy.CompileC(work, "lines", ProducerSource, "the line producer");
        var results = new List<Result>();
        foreach (var (name, comms, script) in Relays(tend))
        {
            foreach (var n in new[] { 1, 10 })
            {
                progress($"measuring relay: {name}, {n} service{(n == 1 ? "" : "s")}…");
                var r = new Result(name, n, [], [], [], [], null);
                try
                {
                    // One unmeasured run first: the page cache, this program's JIT.
                    for (var k = -1; k < samples; k++)
                    {
                        var m = Once(script(n, producer, TotalBytes / n, work), comms, TotalBytes / LineBytes);
                        progress($"  {m.Lines} lines in {m.Seconds:F3} s, CPU {m.CpuMs:F0} ms, peak " +
                            $"RSS {m.PeakRssKiB / 1024.0:F1} MiB{(k < 0 ? " (warm-up)" : "")}");
                        if (m.Lines < TotalBytes / LineBytes) r = r with { Partial = m.Lines * LineBytes };
                        if (k < 0 && r.Partial is null) continue;
                        var bytes = m.Lines * LineBytes;
                        r.MBps.Add(bytes / 1e6 / m.Seconds);
                        r.LinesPerSecond.Add(m.Lines / m.Seconds);
                        r.CpuMsPerGB.Add(m.CpuMs * 1e9 / bytes);
                        r.PeakRssMiB.Add(m.PeakRssKiB / 1024.0);
                        // A relay too slow to finish in time: one run says enough.
                        if (r.Partial is not null) break;
                    }
                }
                catch (Exception e) { r = r with { Error = e.Message.Split('\n')[0] }; }
                results.Add(r);
            }
        }
        return results;
    }

    /// <summary>How long one run may take: a relay slower than that (sed -u writes each line with a system call) is measured on what it
    /// relayed by then.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static (double Seconds, long Lines, double CpuMs, long PeakRssKiB) Once(string script, string[] comms, long lines)
    {
        // The relays' own complaints (supervisord's, once this program stops reading) go nowhere.
        var psi = new ProcessStartInfo("bash", ["-c", "exec 2>/dev/null </dev/null; " + script]) { RedirectStandardOutput = true };
        using var shell = Process.Start(psi)!;
        var output = shell.StandardOutput.BaseStream;
        long seen = 0;
        var done = false;
        var sw = new Stopwatch();
        var reader = new Thread(() =>
        {
            var buffer = new byte[1 << 20];
            while (Volatile.Read(ref seen) < lines)
            {
                var got = output.Read(buffer, 0, buffer.Length);
                if (got <= 0) break;
                if (!sw.IsRunning) sw.Start();
                Volatile.Write(ref seen, seen + buffer.AsSpan(0, got).Count((byte)'\n'));
            }
            sw.Stop();
            Volatile.Write(ref done, true);
        }) { IsBackground = true };
        reader.Start();
        try
        {
            var limit = Stopwatch.StartNew();
            while (!Volatile.Read(ref done))
            {
                if (limit.Elapsed > Limit && sw.IsRunning) break;
                if (limit.Elapsed > 3 * Limit) throw new TimeoutException($"no output within {3 * Limit.TotalSeconds} s");
                Thread.Sleep(5);
            }
            var elapsed = sw.Elapsed.TotalSeconds;
            var relayed = Volatile.Read(ref seen);
            if (Volatile.Read(ref done)
                && relayed < lines) throw new InvalidOperationException($"the output ended after {relayed} of {lines} lines");
            // The relay's own processes, still there: the producers wait once written.
            var relay = Descendants(shell.Id).Append(shell.Id).Where(p => Proc.Comm(p) is { } c && comms.Contains(c)).ToList();
            var cpu = relay.Sum(Proc.CpuTicks) * 1000.0 / Proc.TicksPerSecond;
            var rss = relay.Sum(PeakRssKiB);
            return (elapsed, Math.Min(relayed, lines), cpu, rss);
        }
        finally
        {
            for (var round = 0; round < 3; round++) foreach (var p in Descendants(shell.Id)) Native.SignalIfAlive(p, 9);
            Native.SignalIfAlive(shell.Id, 9);
            shell.WaitForExit(5000);
        }
    }

    private static long PeakRssKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return 0; }
    }

    /// <summary>Every live descendant of <paramref name="root"/> (services of Tend and supervisord run in sessions of their own, but stay
    /// its children).</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try { if (Proc.Ppid(pid) is var ppid && ppid > 0) parents[pid] = ppid; }
            catch (IOException) { } // gone meanwhile
        }
        var set = new HashSet<int> { root };
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, ppid) in parents)
                if (!set.Contains(pid) && set.Contains(ppid)) grew = set.Add(pid);
        } while (grew);
        set.Remove(root);
        return [.. set];
    }

    /// <summary>The markdown table of the results: one row per relay, the figures for one and for ten services.</summary>
    public static string Table(List<Result> results)
    {
        static string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);
        static string Med(List<double> v) { var s = v.Order().ToList(); return F(s.Count % 2 == 1 ? s[s.Count / 2]
            : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2); }
        static string Range(List<double> v) => $"{Med(v)} ({F(v.Min())}–{F(v.Max())})";
        var md = new StringBuilder();
        md.AppendLine("| relay, 200 MB of 100-byte lines | 1 service: MB/s | lines/s | CPU per GB | peak RSS | 10 services: MB/s | " +
            "lines/s | CPU per GB | peak RSS |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var relay in results.Select(r => r.Relay).Distinct())
        {
            var cells = new List<string>();
            foreach (var r in results.Where(r => r.Relay == relay).OrderBy(r => r.Services))
            {
                if (r.Error is not null || r.MBps.Count == 0) { cells.AddRange([$"failed: {r.Error}", "", "", ""]); continue; }
                cells.Add(Range(r.MBps) + (r.Partial is { } b ? $" ({b / 1e6:F0} MB in {Limit.TotalSeconds:F0} s)" : ""));
                cells.Add($"{F(r.LinesPerSecond.Order().ElementAt(r.LinesPerSecond.Count / 2) / 1e6)} M");
                cells.Add($"{F(r.CpuMsPerGB.Order().ElementAt(r.CpuMsPerGB.Count / 2) / 1000)} s");
                cells.Add($"{F(r.PeakRssMiB.Order().ElementAt(r.PeakRssMiB.Count / 2))} MiB");
            }
            md.AppendLine($"| {relay} | {string.Join(" | ", cells)} |");
        }
        return md.ToString();
    }
}
