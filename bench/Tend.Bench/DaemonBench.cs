using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// Services that daemonize, started the way users write them: apache2 through `service apache2 start`, nginx as plain
/// `nginx` (its default daemon mode) and through `service nginx start`. Tend is PID 1 of a fresh PID + mount namespace
/// with a private tmpfs on /run and on the daemon's log directory; the daemon's configuration is a copy bind-mounted
/// in that namespace that binds it to 127.0.0.1 on a free port (the host's files are never written). Measured: kill -9
/// of the daemon's main process (the one re-parented to Tend) → (a) a new main process exists, (b) it answers HTTP.
/// </summary>
internal static class DaemonBench
{
    private sealed record Daemon(string Label, string Command, string Setup, Func<int, bool> IsMain, int Port);

    public static List<Row> Run(BenchOptions opts, List<string> notes, bool apache, bool nginx)
    {
        var rows = new List<Row>();
        var dir = Directory.CreateTempSubdirectory("tend-bench-daemons-");
        try
        {
            var daemons = new List<Daemon>();
            if (apache)
            {
                if (!File.Exists("/etc/init.d/apache2"))
                    throw new InvalidOperationException("apache2 is not installed: apt-get install -y apache2");
                var port = FreePort();
                File.WriteAllText(Path.Combine(dir.FullName, "ports.conf"), $"Listen 127.0.0.1:{port}\nServerName localhost\n");
                var setup = $"mount -t tmpfs tmpfs /var/log/apache2; mount --bind {dir.FullName}/ports.conf /etc/apache2/ports.conf";
                daemons.Add(new("apache2 via `service apache2 start`", "service apache2 start", setup,
                    pid => Proc.Comm(pid) == "apache2" && Cmdline(pid).StartsWith("/usr/sbin/apache2", StringComparison.Ordinal), port));
            }
            if (nginx)
            {
                if (!File.Exists("/usr/sbin/nginx"))
                    throw new InvalidOperationException("nginx is not installed: apt-get install -y nginx");
                var port = FreePort();
                File.WriteAllText(Path.Combine(dir.FullName, "nginx.conf"),
                    $"pid /run/nginx.pid;\nworker_processes 1;\nerror_log /var/log/nginx/error.log;\nevents {{ worker_connections 64; }}\n"
                        +
                    $"http {{\n  access_log off;\n  server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\\n\"; }} }}\n}}\n");
                var setup = $"mount -t tmpfs tmpfs /var/log/nginx; mount --bind {dir.FullName}/nginx.conf /etc/nginx/nginx.conf";
                bool IsMaster(int pid) => Proc.Comm(pid) == "nginx" && Cmdline(pid).StartsWith("nginx: master process",
                    StringComparison.Ordinal);
                daemons.Add(new("nginx as plain `nginx` (default daemon mode)", "nginx", setup, IsMaster, port));
                daemons.Add(new("nginx via `service nginx start`", "service nginx start", setup, IsMaster, port));
            }
            foreach (var d in daemons)
            {
                Console.Error.WriteLine($"measuring {d.Label}…");
                try
                {
                    var own = OwnStart(d, opts.DaemonSamples >= 5 ? 5 : opts.DaemonSamples);
                    if (own.Count > 0)
                        notes.Add($"{d.Label} with a plain shell as PID 1 and no supervisor, exec → answers HTTP: {Stat(own)} (the " +
                            $"daemon's own start, for comparison).");
                    rows.AddRange(Restart(opts, d));
                }
                catch (Exception e) { notes.Add($"{d.Label}: failed: {e.Message.Split('\n')[0]}"); }
            }
        }
        finally { dir.Delete(true); }
        return rows;
    }

    /// <summary>Kill -9 of the main daemon, opts.DaemonSamples times, in one namespace with Tend as PID 1.</summary>
    private static List<Row> Restart(BenchOptions opts, Daemon d)
    {
        var ns = Start(d, [opts.Tend, "--log-format", "json", d.Command]);
        try { return Restart(opts, d, ns.Pid); }
        finally { End(ns); }
    }

    private static List<Row> Restart(BenchOptions opts, Daemon d, int tend)
    {
        var rows = new List<Row>();
        var mainBack = new List<double>();
        var answers = new List<double>();
        var failures = 0;
        int? main = WaitMain(tend, d, TimeSpan.FromSeconds(20)) ?? throw new TimeoutException($"{d.Label}: no main process within 20 s");
        for (var k = 0; k < opts.DaemonSamples; k++)
        {
            // Settled: it answers, and its run is out of Tend's start-up window (≥ 1 s, and 2 s after the lineage's
            // last new process, e.g. the init script's `sleep 1`), so this is the restart of a running service.
            if (!WaitAnswer(d.Port,
                TimeSpan.FromSeconds(20))) throw new TimeoutException($"{d.Label}: does not answer on 127.0.0.1:{d.Port}");
            Thread.Sleep(3500);
            main = WaitMain(tend, d, TimeSpan.FromSeconds(5));
            if (main is null) { failures++; continue; }
            var old = Ns.Children(tend);
            old.UnionWith(Ns.Children(main.Value));
            old.Add(main.Value);
            var sw = Stopwatch.StartNew();
            Native.Signal(main.Value, Native.SIGKILL);
            int? next = null;
            while (sw.Elapsed < TimeSpan.FromSeconds(15) && next is null)
            {
                next = Ns.Children(tend).Where(c => !old.Contains(c) && d.IsMain(c)).Select(c => (int?)c).FirstOrDefault();
                if (next is null) Thread.Yield();
            }
            if (next is null) { failures++; continue; }
            mainBack.Add(sw.Elapsed.TotalMilliseconds);
            // Probed only once the new main process exists: by then Tend has stopped the old one's leftovers (workers
            // that still hold the listening socket), so an answer comes from the new daemon.
            if (WaitAnswer(d.Port, TimeSpan.FromSeconds(15))) answers.Add(sw.Elapsed.TotalMilliseconds); else failures++;
        }
        var suffix = failures > 0 ? $" ({failures} of {opts.DaemonSamples} not back in 15 s)" : "";
        if (mainBack.Count > 0) rows.Add(Row.Of($"{d.Label}: kill -9 of its main daemon → new main process{suffix}", mainBack, "ms"));
        if (answers.Count > 0) rows.Add(Row.Of($"{d.Label}: kill -9 of its main daemon → answers HTTP again{suffix}", answers, "ms"));
        return rows;
    }

    /// <summary>
    /// Ends the namespace (SIGKILL to its PID 1) and waits until none of its processes is left: the next measurement
    /// uses the same port, and a daemon still dying there would answer for the next one.
    /// </summary>
    private static void End(Ns ns)
    {
        var members = ns.Tree().Select(t => t.Pid).ToList();
        ns.Dispose();
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(10)
            && !members.All(p => Proc.State(p) is null or 'Z'); Thread.Sleep(1)) { }
    }

    /// <summary>The same command with a plain shell as PID 1 (no supervisor): exec → answers HTTP.</summary>
    private static List<double> OwnStart(Daemon d, int n)
    {
        var times = new List<double>();
        for (var k = 0; k < n; k++)
        {
            if (Answers(d.Port)) throw new InvalidOperationException($"127.0.0.1:{d.Port} answers before the daemon started");
            var sw = Stopwatch.StartNew();
            var ns = Start(d, ["sh", "-c", $"{d.Command} >/dev/null 2>&1; exec sleep 1000000"]);
            try { if (WaitAnswer(d.Port, TimeSpan.FromSeconds(20))) times.Add(sw.Elapsed.TotalMilliseconds); }
            finally { End(ns); }
        }
        return times;
    }

    private static Ns Start(Daemon d, string[] command) =>
        Ns.Start(["bash", "-euc", $"mount -t tmpfs tmpfs /run; mkdir -p /run/lock; {d.Setup}; exec \"$0\" \"$@\"", .. command]);

    private static int? WaitMain(int tend, Daemon d, TimeSpan timeout)
    {
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < timeout; Thread.Sleep(5))
            foreach (var c in Ns.Children(tend))
                if (d.IsMain(c)) return c;
        return null;
    }

    /// <summary>Polls (1 ms apart) until an HTTP request to 127.0.0.1:<paramref name="port"/> gets a status line.</summary>
    private static bool WaitAnswer(int port, TimeSpan timeout)
    {
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < timeout; Thread.Sleep(1))
            if (Answers(port)) return true;
        return false;
    }

    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");

    private static bool Answers(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2000,
                SendTimeout = 2000 };
            s.Connect(IPAddress.Loopback, port);
            s.Send(Request);
            var buffer = new byte[5];
            var got = 0;
            while (got < buffer.Length)
            {
                var n = s.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
                if (n == 0) return false;
                got += n;
            }
            return Encoding.ASCII.GetString(buffer) == "HTTP/";
        }
        catch (SocketException) { return false; }
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Cmdline(int pid) { try { return File.ReadAllText($"/proc/{pid}/cmdline"); } catch (IOException) { return ""; } }

    private static string Stat(List<double> v)
    {
        var r = Row.Of("", v, "ms");
        return $"{F(r.Median)} ms ({F(r.Min)}–{F(r.Max)}, n={r.Count})";
    }

    private static string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);
}

/// <summary>
/// A launcher that daemonizes a command the classic way and exits 0: fork, setsid in the child, fork again, the
/// grandchild (stdio on /dev/null) execs the command, the launcher waits for the middle process and exits 0.
/// `daemonize /path/svc0001 MARKDIR` leaves the dummy service svc0001 running in a session of its own.
/// </summary>
internal static class DaemonizeLauncher
{
    private const string Source = """
        #include <fcntl.h>
        #include <sys/wait.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            if (argc < 2) return 2;
            pid_t p = fork();
            if (p < 0) return 1;
            if (p == 0) {
                setsid();
                pid_t q = fork();
                if (q < 0) _exit(1);
                if (q > 0) _exit(0);
                int fd = open("/dev/null", O_RDWR);
                if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); dup2(fd, 2); if (fd > 2) close(fd); }
                execv(argv[1], argv + 1);
                _exit(127);
            }
            int st;
            if (waitpid(p, &st, 0) < 0) return 1;
            return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
        }
        """;

    public static string Build(string dir) => Dummy.CompileC(dir, "daemonize", Source, "the daemonizing launcher");
}
