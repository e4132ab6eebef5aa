// The benchmark suite: Tend and the supervisors people pick instead (supervisord, s6, runit, tini, dumb-init),
// each as PID 1 of a fresh PID namespace with N dummy services in its natural configuration, measured in the same
// run on the same machine. Prints a markdown table (rows: measures; columns: supervisors) and writes JSON. Every
// step is bounded in time; everything started is ended by pid (SIGKILL to a namespace's PID 1 ends the namespace).
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

var opts = BenchOptions.Parse(args);
var work = Directory.CreateTempSubdirectory("tend-bench-");
var table = new Dictionary<string, Dictionary<string, string>>(); // measure -> peer -> cell
var rowsOrder = new List<string>();
var notes = new List<string>();
var json = new List<Dictionary<string, object?>>();
void Put(string measure, string peer, string cell, double? value = null, string unit = "")
{
    if (!table.TryGetValue(measure, out var row)) { table[measure] = row = []; rowsOrder.Add(measure); }
    row[peer] = cell;
    json.Add(new() { ["measure"] = measure, ["supervisor"] = peer, ["value"] = value, ["unit"] = unit, ["cell"] = cell });
}
string Stat(List<double> v, string unit)
{
    v.Sort();
    var median = v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    return $"{F(median)} {unit} ({F(v[0])}–{F(v[^1])}, n={v.Count})";
}
static string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

Peer[] peers =
[
    new TendPeer(opts.Tend), new SupervisordPeer(), new S6Peer(), new RunitPeer(),
    new SingleChildPeer("tini", "/usr/bin/tini", "-s"), new SingleChildPeer("dumb-init", "/usr/bin/dumb-init"),
];
peers = [.. peers.Where(p => opts.Only.Length == 0 || opts.Only.Contains(p.Name))];
try
{
    var dummy = Dummy.Build(work.FullName);
    var bin = Directory.CreateDirectory(Path.Combine(work.FullName, "bin")).FullName;
    var names = Enumerable.Range(1, 1000).Select(i => $"svc{i:D4}").ToList();
    foreach (var n in names) File.CreateSymbolicLink(Path.Combine(bin, n), dummy);

    foreach (var peer in peers)
    {
        if (!opts.Want("standard")) break;
        if (!File.Exists(peer.Binary)) {
            Console.Error.WriteLine($"{peer.Name}: {peer.Binary} is missing (bench/run.sh installs the peers)"); continue; }
        Console.Error.WriteLine($"measuring {peer.Name}…");
        var peerDir = Directory.CreateDirectory(Path.Combine(work.FullName, peer.Name)).FullName;
        int run = 0;
        // Writing a peer's configuration (1000 service directories for s6) is not part of its start time.
        (string[] Command, string Marks) Prepare(int n, bool ignoreTerm = false, int stopTimeoutMs = 500)
        {
            var dir = Directory.CreateDirectory(Path.Combine(peerDir, $"run{run++}")).FullName;
            var marks = Directory.CreateDirectory(Path.Combine(dir, "marks")).FullName;
            var services = names.Take(n).Select(x => (x, ignoreTerm ? new[] { Path.Combine(bin, x), marks,
                "ignore" } : new[] { Path.Combine(bin, x), marks })).ToList();
            return (peer.Prepare(dir, services, stopTimeoutMs), marks);
        }
        (Ns Ns, string Marks) Launch(int n, bool ignoreTerm = false)
        {
            var (command, marks) = Prepare(n, ignoreTerm);
            return (Ns.Start(command), marks);
        }

        // One unmeasured start, so neither the page cache nor this program's JIT counts against the first peer.
        using (var warm = Launch(1).Ns) warm.WaitForServices(1, TimeSpan.FromSeconds(30));

        // Start N.
        foreach (var n in peer.MultiService ? new[] { 1, 50, 1000 } : new[] { 1 })
        {
            var times = new List<double>();
            try
            {
                for (var k = 0; k < opts.StartRepeats; k++)
                {
                    var (command, _) = Prepare(n);
                    var sw = Stopwatch.StartNew();
                    using var ns = Ns.Start(command);
                    ns.WaitForServices(n, TimeSpan.FromSeconds(60));
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                Put($"start {n} service{(n == 1 ? "" : "s")} (exec → all running)", peer.Name, Stat(times, "ms"),
                    times.Order().ElementAt(times.Count / 2), "ms");
            }
            catch (Exception e) { Put($"start {n} service{(n == 1 ? "" : "s")} (exec → all running)", peer.Name,
                "failed: " + e.Message.Split('\n')[0]); }
        }

        // N services (1 for single-child peers): restart, memory, idle, orphans, stop.
        var N = peer.MultiService ? opts.Services : 1;
        var (main, marksDir) = Launch(N);
        using (main)
        {
            main.WaitForServices(N, TimeSpan.FromSeconds(30));
            Thread.Sleep(1100); // a healthy run for every service: restarts are not backed off
            if (peer.MultiService)
            {
                var lat = new List<double>();
                var failures = 0;
                for (var k = 0; k < opts.Samples; k++)
                {
                    var name = names[k % N];
                    var victim = main.ServicePid(name);
                    if (victim is null) { failures++; continue; }
                    var parent = Proc.Ppid(victim.Value);
                    var known = Ns.Children(parent);
                    var sw = Stopwatch.StartNew();
                    Native.Signal(victim.Value, Native.SIGKILL);
                    var back = false;
                    while (sw.Elapsed < TimeSpan.FromSeconds(5))
                    {
                        if (Ns.Children(parent).Any(p => !known.Contains(p) && Proc.Comm(p) == name)) { back = true; break; }
                        Thread.Yield();
                    }
                    if (back) lat.Add(sw.Elapsed.TotalMilliseconds); else failures++;
                    Thread.Sleep(20);
                }
                Put("restart after SIGKILL (new process of that name)", peer.Name, lat.Count > 0 ? Stat(lat,
                    "ms") + (failures > 0 ? $", {failures} not back in 5 s" : "") : "never within 5 s",
                    lat.Count > 0 ? lat.Order().ElementAt(lat.Count / 2) : null, "ms");
                Thread.Sleep(1100);
            }
            var sup = main.SupervisorPids();
            Put($"own memory, PSS of all its processes (N={N})", peer.Name,
                $"{F(sup.Sum(Proc.PssKiB) / 1024.0)} MiB ({sup.Count} process{(sup.Count == 1 ? "" : "es")})",
                sup.Sum(Proc.PssKiB) / 1024.0, "MiB");
            var (cpu0, cs0) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches));
            Thread.Sleep(TimeSpan.FromSeconds(opts.IdleSeconds));
            sup = main.SupervisorPids();
            var (cpu1, cs1) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches));
            Put($"idle {opts.IdleSeconds} s at N={N}: CPU time / wake-ups", peer.Name,
                $"{F((cpu1 - cpu0) * 1000.0 / Proc.TicksPerSecond)} ms / {cs1 - cs0}", cs1 - cs0, "wake-ups");

            // 15 samples where the exit was seen before the reaping (at most 30 tries): a try where both were first
            // seen together says nothing about the time between them, and is counted apart, not as zero.
            var zombie = new List<double>();
            var unseen = 0;
            for (var k = 0; k < 30 && zombie.Count < 15; k++)
            {
                if (main.OrphanZombieMs() is not { } z) continue;
                if (double.IsNaN(z)) unseen++; else zombie.Add(z * 1000);
            }
            var unseenNote = unseen > 0 ? $"; {unseen} tr{(unseen == 1 ? "y" : "ies")} saw exit and reaping at once" : "";
            Put("orphaned zombie: exit → reaped (pidfd)", peer.Name, zombie.Count > 0 ? Stat(zombie,
                "µs") + unseenNote : "not reaped within 5 s", zombie.Count > 0 ? zombie.Order().ElementAt(zombie.Count / 2) : null, "µs");

            var stopWatch = Stopwatch.StartNew();
            Native.Signal(main.Pid, Native.SIGTERM);
            var gone = main.WaitAllGone(TimeSpan.FromSeconds(15));
            var termed = Directory.GetFiles(marksDir).Length;
            Put($"stop {N} service{(N == 1 ? "" : "s")}: SIGTERM to PID 1 → all gone; got SIGTERM first", peer.Name,
                gone ? $"{F(stopWatch.Elapsed.TotalMilliseconds)} ms; {termed}/{N}" : $"not within 15 s; {termed}/{N}",
                gone ? stopWatch.Elapsed.TotalMilliseconds : null, "ms");
        }

        // Escalation: one service that ignores SIGTERM, stop timeout 500 ms where the peer has one.
        try
        {
            var (esc, _) = Launch(1, ignoreTerm: true);
            using (esc)
            {
                esc.WaitForServices(1, TimeSpan.FromSeconds(10));
                Thread.Sleep(300);
                var sw = Stopwatch.StartNew();
                Native.Signal(esc.Pid, Native.SIGTERM);
                var gone = esc.WaitAllGone(TimeSpan.FromSeconds(10));
                var note = peer.EscalationNote is { } n ? $" ({n})" : "";
                Put("TERM-ignoring service, stop timeout 500 ms: SIGTERM → gone", peer.Name,
                    gone ? $"{F(sw.Elapsed.TotalMilliseconds)} ms{note}" : $"not within 10 s{note}",
                    gone ? sw.Elapsed.TotalMilliseconds : null, "ms");
            }
        }
        catch (Exception e) { Put("TERM-ignoring service, stop timeout 500 ms: SIGTERM → gone", peer.Name,
            "failed: " + e.Message.Split('\n')[0]); }
    }

    // A scheduled task beside N services: Tend wakes for its runs (one timer, for the earliest due time) and for
    // nothing between them. Measured after a due time's run and the memory trim that follows it, until just before
    // the next due time; PSS then, against the same N services without a schedule (the cost of Cronos in PID 1).
    if (opts.Want("schedule") && peers.OfType<TendPeer>().FirstOrDefault() is { } scheduled)
    {
        Console.Error.WriteLine("measuring tend: a task due every minute…");
        var peerDir = Directory.CreateDirectory(Path.Combine(work.FullName, "tend-schedule")).FullName;
        var N = opts.Services;
        var services = names.Take(N).Select(x => (x, new[] { Path.Combine(bin, x), peerDir })).ToList();
        var plain = scheduled.Prepare(peerDir, services, 500);
        using (var ns = Ns.Start(plain))
        {
            ns.WaitForServices(N, TimeSpan.FromSeconds(30));
            Thread.Sleep(3000);
            var pids = ns.SupervisorPids();
            Put($"own memory, PSS at N={N}, no scheduled task", scheduled.Name, $"{F(pids.Sum(Proc.PssKiB) / 1024.0)} MiB",
                pids.Sum(Proc.PssKiB) / 1024.0, "MiB");
        }
        const string idleRow = "idle between due times at N=50 + 1 task due every minute (54 s): CPU time / wake-ups";
        try
        {
            string[] command = [scheduled.Binary, "--schedule", "true=* * * * *", .. plain.Skip(1), "/bin/true"];
            var runs = 0;
            using var ns = Ns.Start(command, line => { if (line.Contains("run started",
                StringComparison.Ordinal)) Interlocked.Increment(ref runs); });
            ns.WaitForServices(N, TimeSpan.FromSeconds(30));
            // From 3 s after a due time (its run and the trim after it are done) to 1 s before the next one.
            var now = DateTimeOffset.UtcNow;
            var nextMinute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
            Thread.Sleep(nextMinute.AddSeconds(3) - DateTimeOffset.UtcNow);
            var sup = ns.SupervisorPids();
            var (cpu0, cs0) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches));
            var pss = sup.Sum(Proc.PssKiB) / 1024.0;
            var runsBefore = Volatile.Read(ref runs);
            Thread.Sleep(nextMinute.AddSeconds(57) - DateTimeOffset.UtcNow);
            sup = ns.SupervisorPids();
            var (cpu1, cs1) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches));
            Put($"own memory, PSS at N={N} + 1 task due every minute (between due times)", scheduled.Name, $"{F(pss)} MiB", pss, "MiB");
            Put(idleRow, scheduled.Name,
                $"{F((cpu1 - cpu0) * 1000.0 / Proc.TicksPerSecond)} ms " +
                    $"/ {cs1 - cs0} ({runsBefore} run{(runsBefore == 1 ? "" : "s")} before the " +
                        $"window, {Volatile.Read(ref runs) - runsBefore} in it)", cs1 - cs0, "wake-ups");
        }
        catch (Exception e) { Put(idleRow, scheduled.Name, "failed: " + e.Message.Split('\n')[0]); }
    }

    // Liveness: N services, each with a 1 s TCP liveness check (all against one listener, a few lines of Python on a
    // free loopback port). Checks with one interval share their wake-ups (their due times sit on one grid): one wake-up
    // a second for the N checks, against none for an idle Tend without checks (the standard rows); PSS with the checks.
    if (opts.Want("liveness") && peers.OfType<TendPeer>().FirstOrDefault() is { } checker)
    {
        Console.Error.WriteLine("measuring tend: 50 services with 1 s liveness checks…");
        var peerDir = Directory.CreateDirectory(Path.Combine(work.FullName, "tend-liveness")).FullName;
        var N = opts.Services;
        var services = names.Take(N).Select(x => (x, new[] { Path.Combine(bin, x), peerDir })).ToList();
        var plain = checker.Prepare(peerDir, services, 500);
        var dash = Array.IndexOf(plain, "--");
        var port = DaemonBench.FreePort();
        var idleRow = $"idle {opts.IdleSeconds} s at N={N}, each with a 1 s TCP liveness check: CPU time / wake-ups";
        try
        {
            string[] command = [plain[0], "--alive-interval", "1s", .. services.SelectMany(sv => new[] { "--alive",
                $"{sv.x}=tcp:{port}" }), .. plain[1..dash],
                "--", .. plain[(dash + 1)..], Listener(port)];
            using var ns = Ns.Start(command);
            ns.WaitForServices(N, TimeSpan.FromSeconds(30));
            Thread.Sleep(3000); // the listener is up, the first checks passed, the trim after start-up is done
            var sup = TendOnly(ns);
            var (cpu0, cs0, v0) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches), sup.Sum(Proc.VoluntarySwitches));
            var pss = sup.Sum(Proc.PssKiB) / 1024.0;
            Thread.Sleep(TimeSpan.FromSeconds(opts.IdleSeconds));
            sup = TendOnly(ns);
            var (cpu1, cs1, v1) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches), sup.Sum(Proc.VoluntarySwitches));
            Put($"own memory, PSS at N={N}, each with a 1 s TCP liveness check", checker.Name, $"{F(pss)} MiB", pss, "MiB");
            Put(idleRow, checker.Name,
                $"{F((cpu1 - cpu0) * 1000.0 / Proc.TicksPerSecond)} ms / {cs1 - cs0} ({v1 - v0} its own waits, the rest preemptions)",
                cs1 - cs0, "wake-ups");
        }
        catch (Exception e) { Put(idleRow, checker.Name, "failed: " + e.Message.Split('\n')[0]); }

        // A listener with a backlog for all N checks at once (python's http.server has 5: the rest of the SYNs would wait
        // for their one-second retry): it accepts and closes.
        static string Listener(int port) =>
            $"python3 -c \"import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); " +
                $"s.bind(('127.0.0.1', {port})); s.listen(1024); [s.accept()[0].close() for _ in iter(int, 1)]\"";

        // Tend's own processes: the listener the checks connect to is a service, but not a dummy one.
        static List<int> TendOnly(Ns ns) => [.. ns.SupervisorPids().Where(p => Proc.Comm(p) is not "python3")];
    }

    // Tend's HTTP endpoint: a /metrics scrape at N, an HTTP probe against an exec probe, PSS and idle wake-ups on and off.
    if (opts.Want("http") && peers.OfType<TendPeer>().FirstOrDefault() is { } served)
    {
        var services = names.Take(opts.Services).Select(x => (x, new[] { Path.Combine(bin, x),
            Directory.CreateDirectory(Path.Combine(work.FullName, "http-marks")).FullName })).ToList();
        try
        {
            foreach (var row in HttpBench.Run(served.Binary, work.FullName, services, opts.IdleSeconds, Console.Error.WriteLine))
                Put(row.Measure, served.Name, row.Cell, row.Value, row.Unit);
        }
        catch (Exception e) { Put("HTTP endpoint", served.Name, "failed: " + e.Message.Split('\n')[0]); }
    }

    // 50 services that daemonize: each command line is a launcher that double-forks, setsid()s a dummy service and
    // exits 0. Only a supervisor that follows what a launcher leaves running can keep such a service.
    if (opts.Want("daemonize"))
    {
        const string daemonizeRow = "start 50 services that daemonize (exec → all 50 daemons running)";
        const string reportedRow = "start 50 services that daemonize: exec → all 50 reported `daemonized` (JSON log)";
        var launcher = DaemonizeLauncher.Build(work.FullName);
        foreach (var peer in peers)
        {
            if (peer is not TendPeer tendPeer)
            {
                Put(daemonizeRow, peer.Name, peer.MultiService
                    ? "— (cannot follow a daemonizing command: its launcher exits 0 and is restarted, a new daemon each time)"
                    : "— (runs one child and exits with it: the launcher)");
                continue;
            }
            Console.Error.WriteLine("measuring tend: 50 services that daemonize…");
            var peerDir = Directory.CreateDirectory(Path.Combine(work.FullName, "tend-daemonize")).FullName;
            var times = new List<double>();
            var reportedTimes = new List<double>();
            var incomplete = new List<string>(); // runs where Tend did not report every daemon: followed / completed
            try
            {
                // The first start is not measured when the standard rows did not warm the page cache and this program.
                for (var k = opts.Want("standard") ? 0 : -1; k < opts.StartRepeats; k++)
                {
                    var dir = Directory.CreateDirectory(Path.Combine(peerDir, $"run{k + 1}")).FullName;
                    var marks = Directory.CreateDirectory(Path.Combine(dir, "marks")).FullName;
                    var services = names.Take(50).Select(x => (x, new[] { launcher, Path.Combine(bin, x), marks })).ToList();
                    string[] command = [tendPeer.Binary, "--log-format", "json", .. tendPeer.Prepare(dir, services, 500).Skip(1)];
                    var followed = new Dictionary<string, (int Pid, double Ms)>(); // service -> last `daemonized`: pid in the namespace
                    var completed = new HashSet<string>();
                    var sw = Stopwatch.StartNew();
                    void OnLog(string line)
                    {
                        if (line.Contains("\"event\":\"completed\"", StringComparison.Ordinal))
                        {
                            // "exited 0 and left nothing running": Tend did not see the daemon its launcher left.
                            using var c = JsonDocument.Parse(line);
                            lock (followed) completed.Add(c.RootElement.TryGetProperty("service", out var cs) ? cs.GetString() ?? "" : "");
                            return;
                        }
                        if (!line.Contains("\"event\":\"daemonized\"", StringComparison.Ordinal)) return;
                        var ms = sw.Elapsed.TotalMilliseconds;
                        using var doc = JsonDocument.Parse(line);
                        var root = doc.RootElement;
                        lock (followed)
                            followed[root.TryGetProperty("service", out var s) ? s.GetString() ?? "" : ""] = (root.TryGetProperty("pid",
                                out var pid) ? pid.GetInt32() : 0, ms);
                    }
                    using var ns = Ns.Start(command, OnLog);
                    ns.WaitForServices(50, TimeSpan.FromSeconds(60));
                    var elapsed = sw.Elapsed.TotalMilliseconds;
                    for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(5); Thread.Sleep(5))
                        lock (followed) if (followed.Count + completed.Count >= 50) break;
                    Thread.Sleep(200); // a service may be followed again (launcher's middle process → the daemon)
                    if (k < 0) continue;
                    times.Add(elapsed);
                    // Followed = its last `daemonized` names a pid that is a dummy service now (a pid seen before its
                    // exec, under the launcher's name, is the same process).
                    var daemons = ns.Tree().Where(t => t.Comm.StartsWith("svc",
                        StringComparison.Ordinal)).Select(t => Proc.NsPid(t.Pid)).ToHashSet();
                    lock (followed)
                    {
                        var ok = followed.Where(f => !completed.Contains(f.Key) && daemons.Contains(f.Value.Pid)).ToList();
                        if (ok.Count >= 50) reportedTimes.Add(ok.Max(f => f.Value.Ms));
                        else incomplete.Add($"{ok.Count} followed, {completed.Count} `completed`");
                    }
                }
                Put(daemonizeRow, "tend", Stat(times, "ms"), times.Order().ElementAt(times.Count / 2), "ms");
                var lost = incomplete.Count == 0 ? ""
                    : $"{incomplete.Count} of {times.Count} runs not all ({string.Join("; ", incomplete)} while every daemon ran)";
                Put(reportedRow, "tend", reportedTimes.Count > 0 ? Stat(reportedTimes, "ms") + (lost.Length > 0 ? "; " + lost : "") : lost,
                    reportedTimes.Count > 0 ? reportedTimes.Order().ElementAt(reportedTimes.Count / 2) : null, "ms");
            }
            catch (Exception e) { Put(daemonizeRow, "tend", "failed: " + e.Message.Split('\n')[0]); }
        }
    }

    if (opts.Want("apache-initd") && peers.Any(p => p is TendPeer)) foreach (var r in ApacheBench.Run(opts)) Put(r.Name, "tend",
        $"{F(r.Median)} {r.Unit} ({F(r.Min)}–{F(r.Max)}, n={r.Count})", r.Median, r.Unit);
    if ((opts.Want("apache") || opts.Want("nginx")) && peers.Any(p => p is TendPeer))
        foreach (var r in DaemonBench.Run(opts, notes, opts.Want("apache"), opts.Want("nginx")))
            Put(r.Name, "tend", $"{F(r.Median)} {r.Unit} ({F(r.Min)}–{F(r.Max)}, n={r.Count})", r.Median, r.Unit);

    // What the log rings cost (tend logs): PSS with them off, on but quiet, and full.
    if (opts.Want("logs") && peers.OfType<TendPeer>().FirstOrDefault() is { } logged)
    {
        try
        {
            foreach (var r in LogRingBench.Run(logged.Binary, opts.Services, Console.Error.WriteLine))
                Put(r.Measure, logged.Name, $"{F(r.PssMiB)} MiB", r.PssMiB, "MiB");
        }
        catch (Exception e) { Put("own memory with log rings", logged.Name, "failed: " + e.Message.Split('\n')[0]); }
    }

    // Relaying output: Tend's --log-prefix against a plain pipe copy and the relays users would otherwise use.
    List<RelayBench.Result> relays = [];
    if (opts.Want("relay") && peers.Any(p => p is TendPeer))
    {
        relays = RelayBench.Run(opts.Tend, work.FullName, opts.RelaySamples, Console.Error.WriteLine);
        foreach (var r in relays)
            json.Add(new() { ["measure"] = $"relay 200 MB of 100-byte lines, {r.Services} service(s)", ["supervisor"] = r.Relay,
                ["MBps"] = r.MBps, ["linesPerSecond"] = r.LinesPerSecond, ["cpuMsPerGB"] = r.CpuMsPerGB, ["peakRssMiB"] = r.PeakRssMiB,
                ["error"] = r.Error });
    }

    var md = new StringBuilder();
    md.AppendLine($"Machine: {Environment.ProcessorCount} cores, {Proc.MemTotalGiB():F0} GiB, {RuntimeInformation.OSDescription}, " +
        $"kernel {Environment.OSVersion.Version}; {DateTime.UtcNow:yyyy-MM-dd}.");
    md.AppendLine($"Each supervisor is PID 1 of its own PID namespace with N dummy services (a tiny static C program each); medians " +
        $"(min–max, n).");
    md.AppendLine();
    md.AppendLine("| measure | " + string.Join(" | ", peers.Select(p => p.Name)) + " |");
    md.AppendLine("|---|" + string.Concat(peers.Select(_ => "---|")));
    foreach (var m in rowsOrder)
        md.AppendLine($"| {m} | " + string.Join(" | ", peers.Select(p => table[m].TryGetValue(p.Name, out var c) ? c : "—")) + " |");
    if (notes.Count > 0) md.AppendLine().AppendLine(string.Join("\n", notes.Select(n => "- " + n)));
    if (relays.Count > 0)
        md.AppendLine().AppendLine($"Relaying output (medians of {opts.RelaySamples}; MB/s with min–max; input bytes from the first byte " +
            $"to the last line read; CPU and peak RSS of the relay's own processes):").AppendLine().Append(RelayBench.Table(relays));
    Console.Write(md.ToString());
    File.WriteAllText(opts.Markdown, md.ToString());
    File.WriteAllText(opts.Json, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"\nMarkdown: {opts.Markdown}\nJSON: {opts.Json}");
}
finally
{
    work.Delete(true);
}

internal sealed record BenchOptions(string Tend, int Services, int Samples, int IdleSeconds, int StartRepeats, bool Apache, string Json,
    string[] Only, string Markdown)
{
    /// <summary>--daemons: the rows of services that daemonize (apache2 and nginx through `service`, 50 daemonizing dummies).</summary>
    public bool Daemons { get; init; }

    /// <summary>--rows: only these groups of rows (standard, relay, daemonize, apache, nginx, apache-initd); empty: the defaults (standard
    /// and relay).</summary>
    public string[] Rows { get; init; } = [];

    /// <summary>--relay-samples: runs per relay and number of services.</summary>
    public int RelaySamples { get; init; } = 3;

    /// <summary>--daemon-samples: kill -9 samples per real daemon.</summary>
    public int DaemonSamples { get; init; } = 10;

    /// <summary>Whether a group of rows is measured: --rows when given, else the standard rows plus --apache / --daemons.</summary>
    public bool Want(string group) => Rows.Length > 0 ? Rows.Contains(group) : group switch
    {
        "standard" or "schedule" or "relay" or "liveness" or "http" or "logs" => true,
        "apache-initd" => Apache,
        "daemonize" or "apache" or "nginx" => Daemons,
        _ => false,
    };

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions("", 50, 30, 30, 3, false, "bench-results.json", [], "bench-results.md");
        for (var i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--tend" => o with { Tend = args[++i] },
                "--services" => o with { Services = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--samples" => o with { Samples = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--idle-seconds" => o with { IdleSeconds = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--start-repeats" => o with { StartRepeats = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--apache" => o with { Apache = true, Daemons = true },
                "--daemons" => o with { Daemons = true },
                "--rows" => o with { Rows = args[++i].Split(',') },
                "--relay-samples" => o with { RelaySamples = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--daemon-samples" => o with { DaemonSamples = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--json" => o with { Json = args[++i] },
                "--markdown" => o with { Markdown = args[++i] },
                "--only" => o with { Only = args[++i].Split(',') },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Tend.Length == 0
            || !File.Exists(o.Tend)) throw new ArgumentException("give the tend binary with --tend PATH (bench/run.sh publishes it)");
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

internal static class Proc
{
    public static readonly long TicksPerSecond = 100;

    public static int Ppid(int pid)
    {
        var s = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(s[(s.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The pid as its own (innermost) PID namespace sees it; -1 when gone.</summary>
    public static int NsPid(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("NSpid:", StringComparison.Ordinal))
                    return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return -1;
    }

    public static string? Comm(int pid) { try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); } catch (IOException) {
        return null; } }

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
        string s;
        try { s = File.ReadAllText($"/proc/{pid}/stat"); } catch (IOException) { return 0; }
        var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Times the process's threads gave up the CPU themselves (waits): its wake-ups, without the preemptions a loaded machine
    /// adds.</summary>
    public static long VoluntarySwitches(int pid)
    {
        long total = 0;
        if (!Directory.Exists($"/proc/{pid}/task")) return 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
        return total;
    }

    public static long ContextSwitches(int pid)
    {
        long total = 0;
        if (!Directory.Exists($"/proc/{pid}/task")) return 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:",
                    StringComparison.Ordinal))
                    total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
        return total;
    }

    public static long PssKiB(int pid) { try { return Field($"/proc/{pid}/smaps_rollup", "Pss:"); } catch (IOException) { return 0; } }
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

internal static unsafe class Native
{
    private const string Lib = "libc.so.6";
    public const short POLLIN = 1, POLLHUP = 0x10;
    public const int SIGKILL = 9, SIGTERM = 15;

    [DllImport(Lib, SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport(Lib, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Lib, SetLastError = true)]
    private static extern long syscall(long number, int pid, uint flags);

    [DllImport(Lib, SetLastError = true)]
    private static extern int poll(PollFd* fds, ulong count, int timeoutMs);

    /// <summary>
    /// A signal a measurement starts from: a figure timed from a signal that was not sent would be a lie, so a failure
    /// (the process already gone, or not ours to signal) ends the run with errno.
    /// </summary>
    public static void Signal(int pid, int sig)
    {
        if (kill(pid, sig) != 0)
            throw new InvalidOperationException($"kill({pid}, {sig}) failed (errno {Marshal.GetLastPInvokeError()}): the measurement " +
                $"cannot start");
    }

    /// <summary>A signal that cleans up after a run: the process may well be gone already (ESRCH), which is what was wanted.</summary>
    public static void SignalIfAlive(int pid, int sig) => _ = kill(pid, sig);

    private struct PollFd { public int Fd; public short Events; public short Revents; }

    /// <summary>pidfd_open(2); -1 when the process is gone.</summary>
    public static int PidfdOpen(int pid) => (int)syscall(434, pid, 0);

    /// <summary>The events a pidfd reports now (POLLIN once the process exited, POLLHUP once it was reaped).</summary>
    public static short PollNow(int fd)
    {
        var p = new PollFd { Fd = fd, Events = POLLIN };
        return poll(&p, 1, 0) > 0 ? p.Revents : (short)0;
    }
}
