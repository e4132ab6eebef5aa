using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>Restart latency of a real daemon: the seed's `/etc/init.d/apache2 start`, apache bound to 127.0.0.1.</summary>
internal static class ApacheBench
{
    public static IEnumerable<Row> Run(BenchOptions opts)
    {
        if (!File.Exists("/etc/init.d/apache2"))
            throw new InvalidOperationException("apache2 is not installed: apt-get install -y apache2");
        var dir = Directory.CreateTempSubdirectory("tend-bench-apache-");
        try
        {
            int port;
            using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
            File.WriteAllText(Path.Combine(dir.FullName, "ports.conf"), $"Listen 127.0.0.1:{port}\nServerName localhost\n");
            var psi = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--pid", "--fork", "--mount-proc", "--kill-child", "bash", "-euc",
                $"mount -t tmpfs tmpfs /run; mkdir -p /run/lock; mount --bind {dir.FullName}/ports.conf /etc/apache2/ports.conf; exec " +
                    $"\"$0\" \"$@\"",
                opts.Tend, "--log-format", "json", "/etc/init.d/apache2 start" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            try
            {
                Thread.Sleep(300);
                var tend = int.Parse(File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Trim().Split(' ')[0]);
                int Daemon()
                {
                    var sw = Stopwatch.StartNew();
                    while (sw.Elapsed < TimeSpan.FromSeconds(10))
                    {
                        foreach (var pid in Children(tend))
                            if (Proc.Comm(pid) == "apache2" && Cmdline(pid).StartsWith("/usr/sbin/apache2",
                                StringComparison.Ordinal)) return pid;
                        Thread.Sleep(5);
                    }
                    throw new TimeoutException("apache did not start");
                }
                var anyName = new List<double>();
                var daemonBack = new List<double>();
                for (var k = 0; k < 10; k++)
                {
                    var main = Daemon();
                    Thread.Sleep(1200); // healthy run, and the init script's own `sleep 1` loop is over
                    var old = Children(tend).ToHashSet();
                    old.UnionWith(Children(main));
                    var sw = Stopwatch.StartNew();
                    Native.Signal(main, Native.SIGKILL);
                    double? first = null;
                    while (sw.Elapsed < TimeSpan.FromSeconds(10))
                    {
                        var found = Children(tend).Where(c => !old.Contains(c) && Proc.Comm(c) == "apache2").ToList();
                        if (found.Count > 0 && first is null) first = sw.Elapsed.TotalMilliseconds;
                        if (found.Any(c => Cmdline(c).StartsWith("/usr/sbin/apache2", StringComparison.Ordinal))) break;
                        Thread.Yield();
                    }
                    anyName.Add(first ?? double.NaN);
                    daemonBack.Add(sw.Elapsed.TotalMilliseconds);
                }
                return
                [
                    Row.Of("apache2 restart after SIGKILL: new process named apache2 (the init script)", anyName, "ms"),
                    Row.Of("apache2 restart after SIGKILL: new /usr/sbin/apache2 daemon", daemonBack, "ms"),
                ];
            }
            finally
            {
                if (File.Exists($"/proc/{p.Id}/task/{p.Id}/children"))
                {
                    var c = File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Trim();
                    if (c.Length > 0) Native.SignalIfAlive(int.Parse(c.Split(' ')[0]), Native.SIGKILL);
                }
                Native.SignalIfAlive(p.Id, Native.SIGKILL);
                p.WaitForExit(5000);
            }
        }
        finally { dir.Delete(true); }
    }

    private static List<int> Children(int pid)
    {
        var result = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                result.AddRange(File.ReadAllText(Path.Combine(task, "children")).Split(' ',
                    StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return result;
    }

    private static string Cmdline(int pid) { try { return File.ReadAllText($"/proc/{pid}/cmdline"); } catch (IOException) { return ""; } }
}
