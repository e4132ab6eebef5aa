// Tend's benchmark: figures for the engine, measured on this machine with real processes and Tend as PID 1
// of a fresh PID namespace. Prints a markdown table and writes JSON. Every run is bounded in time and ends
// what it started by pid.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

var opts = BenchOptions.Parse(args);
var results = new List<Row>();
var work = Directory.CreateTempSubdirectory("tend-bench-");
try
{
    var bin = Path.Combine(work.FullName, "bin");
    Directory.CreateDirectory(bin);
    // The dummy service: a tiny static program that waits for a signal, so the figures measure the supervisor,
    // not the dummy's own start-up (coreutils' sleep loads locales). One name per service: a symlink's name
    // becomes the process's comm.
    var dummy = Dummy.Build(work.FullName);
    var names = Enumerable.Range(1, Math.Max(opts.Services, 1000)).Select(i => $"svc{i:D4}").ToList();
    foreach (var n in names) File.CreateSymbolicLink(Path.Combine(bin, n), dummy);
    string[] Lines(int n) => names.Take(n).Select(x => $"{bin}/{x} infinity").ToArray();

    // Start N: from exec of `unshare … tend` until all N services run.
    foreach (var n in new[] { 1, 50, 1000 })
    {
        var times = new List<double>();
        for (var k = 0; k < opts.StartRepeats; k++)
        {
            var sw = Stopwatch.StartNew();
            using var run = TendUnderTest.Start(opts.Tend, Lines(n));
            run.WaitForChildren(n, names.Take(n).ToHashSet(), TimeSpan.FromSeconds(30));
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        results.Add(Row.Of($"start {n} service{(n == 1 ? "" : "s")} (exec → all running)", times, "ms"));
    }

    using (var run = TendUnderTest.Start(opts.Tend, Lines(opts.Services)))
    {
        run.WaitForChildren(opts.Services, names.Take(opts.Services).ToHashSet(), TimeSpan.FromSeconds(30));
        Thread.Sleep(1100); // every service has had a healthy run: restarts are immediate, not backed off

        // Restart latency after SIGKILL: time until a new process of that name exists, polled without sleeping.
        var latencies = new List<double>();
        for (var k = 0; k < opts.Samples; k++)
        {
            var name = names[k % opts.Services];
            var old = run.ChildByName(name) ?? throw new InvalidOperationException($"{name} is not running");
            var known = run.ChildPids();
            var sw = Stopwatch.StartNew();
            Native.kill(old, 9);
            // Only pids that were not children before are read, so one poll costs a few syscalls (well under 1 ms).
            while (!run.ChildPids().Any(p => !known.Contains(p) && Proc.Comm(p) == name))
            {
                if (sw.Elapsed > TimeSpan.FromSeconds(5)) throw new TimeoutException($"{name} did not come back");
                Thread.Yield();
            }
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            Thread.Sleep(20);
        }
        results.Add(Row.Of($"restart after SIGKILL, foreground service (N={opts.Services})", latencies, "ms"));

        // Memory and idle cost at N services.
        Thread.Sleep(500);
        results.Add(Row.Single($"Tend's memory at N={opts.Services}: PSS", Proc.PssKiB(run.Pid) / 1024.0, "MiB"));
        results.Add(Row.Single($"Tend's memory at N={opts.Services}: RSS", Proc.RssKiB(run.Pid) / 1024.0, "MiB"));
        var (cpu0, sw0) = (Proc.CpuTicks(run.Pid), Proc.ContextSwitches(run.Pid));
        Thread.Sleep(TimeSpan.FromSeconds(opts.IdleSeconds));
        var (cpu1, sw1) = (Proc.CpuTicks(run.Pid), Proc.ContextSwitches(run.Pid));
        results.Add(Row.Single($"idle CPU over {opts.IdleSeconds}s at N={opts.Services}", (cpu1 - cpu0) * 1000.0 / Proc.TicksPerSecond, "ms"));
        results.Add(Row.Single($"idle wake-ups over {opts.IdleSeconds}s at N={opts.Services} (context switches, all threads)", sw1 - sw0, ""));

        // Stop: SIGTERM to PID 1 until the namespace is gone.
        var stop = Stopwatch.StartNew();
        Native.kill(run.Pid, 15);
        run.WaitForSupervisorExit(TimeSpan.FromSeconds(15));
        var stopMs = stop.Elapsed.TotalMilliseconds;
        var code = run.WaitForExit(TimeSpan.FromSeconds(15));
        results.Add(Row.Single($"stop {opts.Services} cooperative services (SIGTERM → all gone and Tend exited, code {code})", stopMs, "ms"));
        var termed = run.Events.Count(e => e.Contains("\"event\":\"stopped\"") && e.Contains("\"signal\":\"SIGTERM\""));
        var killed = run.Events.Count(e => e.Contains("\"event\":\"killed\""));
        results.Add(Row.Single("services stopped by SIGTERM / SIGKILLed", termed, $"/ {killed}"));
    }

    // Escalation: a service that ignores SIGTERM, stop timeout 500ms.
    {
        var sw = new List<double>();
        for (var k = 0; k < 3; k++)
        {
            using var run = TendUnderTest.Start(opts.Tend, ["sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'"], "--stop-timeout", "500ms");
            run.WaitForChildren(1, new HashSet<string> { "sh" }, TimeSpan.FromSeconds(10));
            Thread.Sleep(200);
            var t = Stopwatch.StartNew();
            Native.kill(run.Pid, 15);
            run.WaitForExit(TimeSpan.FromSeconds(10));
            sw.Add(t.Elapsed.TotalMilliseconds);
        }
        results.Add(Row.Of("stop of a TERM-ignoring service, stop timeout 500ms", sw, "ms"));
    }

    // Orphaned zombie: a service leaves an orphan that exits; time until it is reaped.
    {
        using var run = TendUnderTest.Start(opts.Tend, [$"sh -c 'exec {bin}/svc0001 infinity'"]);
        run.WaitForChildren(1, new HashSet<string> { "svc0001" }, TimeSpan.FromSeconds(10));
        var reaped = new List<double>();
        for (var k = 0; k < 10; k++)
        {
            // Spawn an orphan inside the namespace: nsenter, then a subshell that forks and exits.
            var p = Process.Start(new ProcessStartInfo("nsenter", ["-t", run.Pid.ToString(CultureInfo.InvariantCulture), "-p", "sh", "-c", "(sleep 0.2 & echo $!) ; exit 0"]) { RedirectStandardOutput = true })!;
            p.WaitForExit();
            // The orphan may still be between fork and exec (named sh): give it a moment to become `sleep`.
            int? found = null;
            for (var wait = Stopwatch.StartNew(); found is null && wait.Elapsed < TimeSpan.FromSeconds(1); Thread.Sleep(1)) found = run.ChildByName("sleep");
            var hostPid = found ?? throw new InvalidOperationException("no orphan");
            // Wait for it to exit (it becomes a zombie under Tend), then time until /proc/PID is gone.
            var sw = Stopwatch.StartNew();
            long exitedAt = -1;
            while (sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                var state = Proc.State(hostPid);
                if (state is null) break;
                if (state == 'Z' && exitedAt < 0) exitedAt = sw.ElapsedTicks;
                Thread.Yield();
            }
            var zombieMs = exitedAt < 0 ? 0 : (sw.ElapsedTicks - exitedAt) * 1000.0 / Stopwatch.Frequency;
            reaped.Add(zombieMs);
        }
        results.Add(Row.Of("orphaned zombie: time seen as Z before reaped", reaped, "ms"));
    }

    if (opts.Apache) results.AddRange(ApacheBench.Run(opts));

    var md = new StringBuilder();
    md.AppendLine($"Machine: {Environment.ProcessorCount} cores, {Proc.MemTotalGiB():F0} GiB, {RuntimeInformation.OSDescription}; Tend: {opts.Tend}");
    md.AppendLine();
    md.AppendLine("| measure | median | min | max | n |");
    md.AppendLine("|---|---:|---:|---:|---:|");
    foreach (var r in results) md.AppendLine(r.Markdown());
    Console.Write(md.ToString());
    File.WriteAllText(opts.Json, JsonSerializer.Serialize(results.Select(r => new Dictionary<string, object> { ["measure"] = r.Name, ["median"] = r.Median, ["min"] = r.Min, ["max"] = r.Max, ["n"] = r.Count, ["unit"] = r.Unit }).ToList(), new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"\nJSON: {opts.Json}");
}
finally
{
    work.Delete(true);
}

internal sealed record BenchOptions(string Tend, int Services, int Samples, int IdleSeconds, int StartRepeats, bool Apache, string Json)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions("", 50, 30, 10, 5, false, "bench-results.json");
        for (var i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--tend" => o with { Tend = args[++i] },
                "--services" => o with { Services = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--samples" => o with { Samples = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--idle-seconds" => o with { IdleSeconds = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--start-repeats" => o with { StartRepeats = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--apache" => o with { Apache = true },
                "--json" => o with { Json = args[++i] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Tend.Length == 0 || !File.Exists(o.Tend)) throw new ArgumentException("give the tend binary with --tend PATH (bench/run.sh publishes it)");
        return o;
    }
}

internal sealed record Row(string Name, double Median, double Min, double Max, int Count, string Unit)
{
    public static Row Of(string name, List<double> values, string unit)
    {
        var s = values.Order().ToList();
        var median = s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
        return new Row(name, median, s[0], s[^1], s.Count, unit);
    }

    public static Row Single(string name, double value, string unit) => new(name, value, value, value, 1, unit);

    public string Markdown() => Count == 1
        ? $"| {Name} | {F(Median)} {Unit} | | | 1 |"
        : $"| {Name} | {F(Median)} {Unit} | {F(Min)} | {F(Max)} | {Count} |";

    private static string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);
}

/// <summary>`unshare --pid --fork --mount-proc tend …` with JSON events captured.</summary>
internal sealed class TendUnderTest : IDisposable
{
    private readonly Process _unshare;
    private readonly List<string> _events = [];
    public int Pid { get; }
    public IReadOnlyList<string> Events { get { lock (_events) return [.. _events]; } }

    private TendUnderTest(Process p)
    {
        _unshare = p;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_events) _events.Add(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var c = File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Trim();
            if (c.Length > 0) { Pid = int.Parse(c.Split(' ')[0], CultureInfo.InvariantCulture); break; }
            if (sw.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("unshare did not fork");
            Thread.Yield();
        }
    }

    public static TendUnderTest Start(string tend, string[] lines, params string[] options)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[] { "--pid", "--fork", "--mount-proc", "--kill-child", tend, "--log-format", "json", "--no-adopt" }.Concat(options)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--");
        foreach (var l in lines) psi.ArgumentList.Add(l);
        return new TendUnderTest(Process.Start(psi)!);
    }

    public Dictionary<string, int> Children()
    {
        var result = new Dictionary<string, int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(task, "children")); } catch (IOException) { continue; }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var pid = int.Parse(part, CultureInfo.InvariantCulture);
                if (Proc.Comm(pid) is { } comm && Proc.State(pid) != 'Z') result.TryAdd(comm, pid);
            }
        }
        return result;
    }

    public HashSet<int> ChildPids()
    {
        var result = new HashSet<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(task, "children")); } catch (IOException) { continue; }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries)) result.Add(int.Parse(part, CultureInfo.InvariantCulture));
        }
        return result;
    }

    /// <summary>Waits until PID 1 itself has exited (a zombie of unshare, or gone): namespace teardown after that is the kernel's time, not the supervisor's.</summary>
    public void WaitForSupervisorExit(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (Proc.State(Pid) is { } s && s != 'Z')
        {
            if (sw.Elapsed > timeout) throw new TimeoutException("tend did not exit");
            Thread.Yield();
        }
    }

    public int? ChildByName(string name) => Children().TryGetValue(name, out var p) ? p : null;

    public void WaitForChildren(int n, IReadOnlySet<string> names, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        // Poll every millisecond; a busy poll would take one of the machine's two cores from what it measures.
        var comms = new Dictionary<int, string>();
        while (true)
        {
            var count = 0;
            foreach (var pid in ChildPids())
            {
                if (!comms.TryGetValue(pid, out var comm) || !names.Contains(comm))
                {
                    comm = Proc.Comm(pid) ?? "";
                    comms[pid] = comm;
                }
                if (names.Contains(comm)) count++;
            }
            if (count >= n) return;
            if (sw.Elapsed > timeout) throw new TimeoutException($"only {count} of {n} services started\n{string.Join('\n', Events.TakeLast(5))}");
            Thread.Sleep(1);
        }
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_unshare.WaitForExit(timeout)) throw new TimeoutException("tend did not exit");
        _unshare.WaitForExit();
        return _unshare.ExitCode;
    }

    public void Dispose()
    {
        if (!_unshare.HasExited)
        {
            Native.kill(Pid, 9);
            Native.kill(_unshare.Id, 9);
            _unshare.WaitForExit(5000);
        }
        _unshare.Dispose();
    }
}

internal static class Proc
{
    public static readonly long TicksPerSecond = 100;

    public static string? Comm(int pid) { try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); } catch (IOException) { return null; } }

    public static char? State(int pid)
    {
        try
        {
            var s = File.ReadAllText($"/proc/{pid}/stat");
            return s[s.LastIndexOf(')') + 2];
        }
        catch (IOException) { return null; }
    }

    public static long CpuTicks(int pid)
    {
        var s = File.ReadAllText($"/proc/{pid}/stat");
        var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
    }

    public static long ContextSwitches(int pid)
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
        return total;
    }

    public static long PssKiB(int pid) => Field($"/proc/{pid}/smaps_rollup", "Pss:");
    public static long RssKiB(int pid) => Field($"/proc/{pid}/status", "VmRSS:");
    public static double MemTotalGiB() => Field("/proc/meminfo", "MemTotal:") / 1024.0 / 1024.0;

    private static long Field(string file, string key)
    {
        foreach (var line in File.ReadLines(file))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return -1;
    }
}

internal static class Dummy
{
    private const string Source = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n";

    /// <summary>Compiles the dummy with the machine's C compiler (static when libc.a is there); falls back to /bin/sleep.</summary>
    public static string Build(string dir)
    {
        var c = Path.Combine(dir, "dummy.c");
        var exe = Path.Combine(dir, "dummy");
        File.WriteAllText(c, Source);
        foreach (var flags in new[] { "-O2 -static", "-O2" })
        {
            var psi = new ProcessStartInfo("cc") { RedirectStandardError = true };
            foreach (var a in flags.Split(' ').Concat(["-o", exe, c])) psi.ArgumentList.Add(a);
            try
            {
                using var p = Process.Start(psi)!;
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode == 0) return exe;
            }
            catch (System.ComponentModel.Win32Exception) { break; }
        }
        Console.Error.WriteLine("no C compiler: the dummy service is /bin/sleep");
        return "/bin/sleep";
    }
}

internal static class Native
{
    [DllImport("libc.so.6", SetLastError = true)]
    public static extern int kill(int pid, int sig);
}
