using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tend.Tests.Daemons;

/// <summary>
/// A real Debian 12 daemon, started the way users write it.
/// </summary>
/// <param name="Name">The test's name for it.</param>
/// <param name="Command">The command line given to Tend (and to the plain shell that measures its start time).</param>
/// <param name="Server">
/// The server's executable: a process running it is the daemon itself (not its launcher: init scripts are often called
/// like their daemon — /etc/init.d/apache2, /etc/init.d/cron — but run /bin/sh). "A new one" after a restart is a
/// process running it that did not exist before.
/// </param>
/// <param name="OtherMains">Names (comm) of other processes of the daemon that may be reported as its main process (mariadb's
/// mysqld_safe).</param>
/// <param name="Probe">A bash snippet run inside the namespace; the daemon answers when its output contains
/// <paramref name="Answer"/>.</param>
/// <param name="StopCommand">The daemon's own stop command, as a person would run it with docker exec.</param>
public sealed record Daemon(string Name, string Command, string Server, string[] OtherMains, string Probe, string Answer,
    string StopCommand)
{
    public override string ToString() => Name;

    /// <summary>A process the service's main process may be: the server, or one of <see cref="OtherMains"/>.</summary>
    internal bool IsDaemon(ProcInfo p) => p.Exe == ServerExe || OtherMains.Contains(p.Comm);

    /// <summary>What /proc/PID/exe of the server shows: <see cref="Server"/> with its links resolved (Debian's redis-server is a link to
    /// redis-check-rdb).</summary>
    public string ServerExe => new FileInfo(Server).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Server;

    public string MainNames => string.Join(" or ", new[] { Server }.Concat(OtherMains));

    private static string Tcp(int port, string send, int bytes) =>
        $"exec 3<>/dev/tcp/127.0.0.1/{port} || exit 1; printf '{send}' >&3; timeout 1 head -c {bytes} <&3";

    private static string Postgres =>
        Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v,
            "bin/postgres")).Where(File.Exists).Order().LastOrDefault() ?? "postgres" : "postgres";

    public static readonly Daemon[] All =
    [
        new("ssh", "/etc/init.d/ssh start", "/usr/sbin/sshd", [], Tcp(22, "", 8), "SSH-2.0-", "/etc/init.d/ssh stop"),
        new("apache2", "service apache2 start", "/usr/sbin/apache2", [], Tcp(80, @"GET / HTTP/1.0\r\n\r\n", 9), "HTTP/1.1 ",
            "service apache2 stop"),
        new("nginx", "nginx", "/usr/sbin/nginx", [], Tcp(80, @"GET / HTTP/1.0\r\n\r\n", 9), "HTTP/1.1 ", "nginx -s stop"),
        // cron has no port: it answers when the real cron binary runs (the init script is called `cron` too).
        new("cron", "service cron start", "/usr/sbin/cron", [],
            """for p in $(pgrep -x cron); do [ "$(readlink /proc/$p/exe)" = /usr/sbin/cron ] && echo cron-runs; done; true""", "cron-runs",
            "service cron stop"),
        new("mariadb", "service mariadb start", "/usr/sbin/mariadbd", ["mysqld_safe"],
            "timeout 1 mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock -uroot --connect-timeout=1 ping", "mysqld is alive",
            "service mariadb stop"),
        new("postgresql", "service postgresql start", Postgres, [], "pg_isready -h 127.0.0.1 -p 5432 -t 1", "accepting connections",
            "service postgresql stop"),
        new("redis", "redis-server --daemonize yes", "/usr/bin/redis-server", [], Tcp(6379, @"PING\r\n", 5), "+PONG", "redis-cli shutdown"),
    ];

    public static Daemon Get(string name) => All.Single(d => d.Name == name);

    public static IEnumerable<object[]> Names => All.Select(d => new object[] { d.Name });

    /// <summary>The setup script every namespace of these tests runs first (loopback up, private state).</summary>
    public static string NamespaceScript => Path.Combine(AppContext.BaseDirectory, "Daemons", "daemon-ns.sh");

    /// <summary>Whether it answers, asked from inside the namespace whose PID 1 is <paramref name="nsRoot"/> (a host pid).</summary>
    public bool Answers(int nsRoot) => Proc.InNamespace(nsRoot, Probe, 5) is { Code: not -1 } r && r.Output.Contains(Answer,
        StringComparison.Ordinal);

    private static readonly ConcurrentDictionary<string, (TimeSpan Answers, TimeSpan? LauncherExit)> StartTimes = new();

    /// <summary>
    /// Its own start time, measured once per test run with a plain shell and no Tend: the same namespace setup, then
    /// bash runs the command line as PID 1 of the namespace; from the moment bash is about to run it until the daemon
    /// answers (polled every 20 ms from outside, through nsenter).
    /// </summary>
    public TimeSpan StartTime => Measured.Answers;

    /// <summary>When the command line itself returned under the plain shell (null: not within the measurement).</summary>
    public TimeSpan? LauncherExitTime => Measured.LauncherExit;

    private (TimeSpan Answers, TimeSpan? LauncherExit) Measured => StartTimes.GetOrAdd(Name, _ => MeasureStartTime());

    /// <summary>
    /// The restart bound the issue sets: 1 s plus the daemon's own start time, taken as the issue measured it — until
    /// its command line returned under a plain shell (ssh 0.08 s, apache2 1.2 s, mariadb 1.5 s, postgresql 2.7 s),
    /// or until it answers when that is later. "Answers" alone would be shorter than the start after a crash for a
    /// database: after kill -9 of mysqld_safe, what is left is stopped (SIGKILL after the 100 ms cleanup timeout) and
    /// the next start runs InnoDB's crash recovery.
    /// </summary>
    public TimeSpan Bound => TimeSpan.FromSeconds(1) + (LauncherExitTime is { } l && l > StartTime ? l : StartTime);

    public string Figures =>
        $"plain-shell start time {StartTime.TotalMilliseconds:F0} ms (its command line returned " +
            $"after {(LauncherExitTime is { } l ? $"{l.TotalMilliseconds:F0} ms" : "more than that")})";

    private (TimeSpan, TimeSpan?) MeasureStartTime()
    {
        var psi = new ProcessStartInfo("unshare", ["--pid", "--fork", "--mount-proc", "--net", "--ipc", "--kill-child", "bash",
            NamespaceScript,
            "bash", "-c", $"echo go; {Command} </dev/null >/dev/null 2>&1; echo returned; exec sleep infinity"])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        try
        {
            var line = p.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != "go")
                throw new InvalidOperationException($"the plain shell for {Name} did not start: {(p.HasExited ? err.Result : "")}");
            var sw = Stopwatch.StartNew();
            TimeSpan? returned = null;
            var next = p.StandardOutput.ReadLineAsync();
            var root = int.Parse(File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Trim().Split(' ')[0]);
            while (!Answers(root))
            {
                if (returned is null && next.IsCompleted) returned = sw.Elapsed;
                if (sw.Elapsed > TimeSpan.FromSeconds(30))
                    throw new TimeoutException($"{Name} did not answer within 30 s under a plain shell");
                Thread.Sleep(20);
            }
            var answers = sw.Elapsed;
            // The command line may return later (a lingering launcher): wait for it a little, for the figures only.
            if (returned is null && next.Wait(TimeSpan.FromSeconds(5))) returned = sw.Elapsed;
            return (answers, returned);
        }
        finally
        {
            // SIGKILL to the namespace's PID 1 ends the namespace; then unshare exits.
            foreach (var c in File.Exists($"/proc/{p.Id}/task/{p.Id}/children")
                ? File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
                Proc.kill(int.Parse(c), 9);
            if (!p.WaitForExit(10_000)) Proc.KillTree(p.Id);
        }
    }
}
