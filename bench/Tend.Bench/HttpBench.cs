using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// Tend's HTTP endpoint (<c>--http</c>) at N services: one <c>/metrics</c> scrape in µs, an HTTP probe
/// (<c>GET /healthz/NAME</c>, what a kubelet's httpGet does) against an exec probe (<c>tend health</c> run in the
/// container, what an exec probe does) in CPU per probe, and PSS and idle wake-ups with the endpoint on and off, in one run.
/// </summary>
internal static class HttpBench
{
    public sealed record Row(string Measure, string Cell, double? Value, string Unit);

    public static List<Row> Run(string tend, string work, IReadOnlyList<(string Name, string[] Argv)> services, int idleSeconds,
        Action<string> progress)
    {
        var rows = new List<Row>();
        var n = services.Count;
        var lines = services.Select(s => string.Join(' ', s.Argv.Select(a => "'" + a.Replace("'", "'\\''") + "'"))).ToArray();
        (double Pss, long Wakeups, long Own, double CpuMs) Idle(bool http, string dir)
        {
            string[] command = [tend, "--no-adopt", "--keep-run", "--control-socket", Path.Combine(dir,
                "control.sock"), .. http ? new[] { "--http", "127.0.0.1:0" } : [], "--", .. lines];
            using var ns = Ns.Start(command);
            ns.WaitForServices(n, TimeSpan.FromSeconds(30));
            Thread.Sleep(3000); // the trim after start-up is done
            var sup = ns.SupervisorPids();
            var (cpu0, cs0, v0) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches), sup.Sum(Proc.VoluntarySwitches));
            var pss = sup.Sum(Proc.PssKiB) / 1024.0;
            Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
            sup = ns.SupervisorPids();
            var (cpu1, cs1, v1) = (sup.Sum(Proc.CpuTicks), sup.Sum(Proc.ContextSwitches), sup.Sum(Proc.VoluntarySwitches));
            return (pss, cs1 - cs0, v1 - v0, (cpu1 - cpu0) * 1000.0 / Proc.TicksPerSecond);
        }

        foreach (var http in new[] { false, true })
        {
            progress($"measuring tend: idle at N={n}, HTTP endpoint {(http ? "on" : "off")}…");
            var dir = Directory.CreateDirectory(Path.Combine(work, http ? "http-on" : "http-off")).FullName;
            var (pss, wakeups, own, cpu) = Idle(http, dir);
            var label = http ? "on (--http)" : "off";
            rows.Add(new($"own memory, PSS at N={n}, HTTP endpoint {label}", $"{F(pss)} MiB", pss, "MiB"));
            rows.Add(new($"idle {idleSeconds} s at N={n}, HTTP endpoint {label}: CPU time / wake-ups",
                $"{F(cpu)} ms / {wakeups} ({own} its own waits)", wakeups, "wake-ups"));
        }

        progress($"measuring tend: /metrics of {n} services, HTTP and exec probes…");
        var probeDir = Directory.CreateDirectory(Path.Combine(work, "http-probe")).FullName;
        var socket = Path.Combine(probeDir, "control.sock");
        string? address = null;
        using var probed = Ns.Start([tend, "--no-adopt", "--keep-run", "--control-socket", socket, "--http", "127.0.0.1:0", "--", .. lines],
            line =>
        {
            var at = line.IndexOf("http://127.0.0.1:", StringComparison.Ordinal);
            if (at >= 0) Volatile.Write(ref address, line[(at + 7)..].Trim());
        });
        probed.WaitForServices(n, TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();
        while (Volatile.Read(ref address) is null && sw.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        var port = int.Parse(address!.Split(':')[1], CultureInfo.InvariantCulture);
        Thread.Sleep(1000);

        // One /metrics scrape: median of 200, from connect to the last byte (it reads /proc for every service's processes).
        var scrapes = new List<double>();
        var bytes = 0;
        for (var k = 0; k < 220; k++)
        {
            var t = Stopwatch.StartNew();
            bytes = Get(port, "/metrics");
            if (k >= 20) scrapes.Add(t.Elapsed.TotalMicroseconds);
        }
        scrapes.Sort();
        rows.Add(new($"one /metrics scrape at N={n} (median of 200; {bytes / 1024} KiB, RSS and CPU read from /proc)",
            $"{F(scrapes[scrapes.Count / 2])} µs", scrapes[scrapes.Count / 2], "µs"));

        // CPU per probe in the container: Tend's own CPU for an HTTP probe; for an exec probe, the tend client process
        // (started, connects, asks, prints) plus Tend's side.
        var sup = probed.SupervisorPids();
        const int httpProbes = 5000, execProbes = 50;
        var name = services[0].Name;
        var before = sup.Sum(Proc.CpuTicks);
        for (var k = 0; k < httpProbes; k++) Get(port, "/healthz/" + name);
        var httpMs = (sup.Sum(Proc.CpuTicks) - before) * 1000.0 / Proc.TicksPerSecond / httpProbes;
        before = sup.Sum(Proc.CpuTicks);
        var children = ReapedChildrenTicks();
        for (var k = 0; k < execProbes; k++)
        {
            var psi = new ProcessStartInfo(tend, "health") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["TEND_CONTROL_SOCKET"] = socket;
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
        }
        var clientMs = (ReapedChildrenTicks() - children) * 1000.0 / Proc.TicksPerSecond;
        var execMs = ((sup.Sum(Proc.CpuTicks) - before) * 1000.0 / Proc.TicksPerSecond + clientMs) / execProbes;
        rows.Add(new("CPU per probe in the container: HTTP GET /healthz/NAME (Tend's endpoint)", $"{F(httpMs * 1000)} µs", httpMs * 1000,
            "µs"));
        rows.Add(new("CPU per probe in the container: exec `tend health` (client process + Tend)",
            $"{F(execMs * 1000)} µs ({F(execMs / Math.Max(httpMs, 1e-6))}× the HTTP probe)", execMs * 1000, "µs"));
        return rows;
    }

    /// <summary>CPU time of this process's reaped children (cutime + cstime, fields 16–17 of /proc/self/stat), in clock ticks: the tend
    /// clients.</summary>
    private static long ReapedChildrenTicks()
    {
        var s = File.ReadAllText("/proc/self/stat");
        var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
    }

    private static int Get(int port, string path)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, port);
        s.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var buffer = new byte[65536];
        int n, total = 0;
        while ((n = s.Receive(buffer)) > 0) total += n;
        return total;
    }

    private static string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);
}
