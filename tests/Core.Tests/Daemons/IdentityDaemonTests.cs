using System.Diagnostics;
using Xunit.Abstractions;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Daemons;

/// <summary>
/// Issue 23's inputs with the real Debian daemons, started the way users write them, Tend as PID 1 of a fresh
/// namespace: an ssh connection in sshd's first 100 ms, nginx's binary upgrade, mysqld_safe as the command itself.
/// Each run writes Tend's lineage trace; with TEND_RECORD_FIXTURES=DIR set, the trace is kept there as a fixture
/// (tests/Core.Tests/Fixtures/Lineage holds those replayed by <see cref="Tend.Tests.LineageFixtureTests"/>).
/// </summary>
[Trait("Category", "Daemons")]
public sealed class IdentityDaemonTests(ITestOutputHelper output) : IDisposable
{
    private readonly LiveTrace _trace = new();
    private string? _fixture;

    public void Dispose()
    {
        if (_fixture is not null && Environment.GetEnvironmentVariable("TEND_RECORD_FIXTURES") is { Length: > 0 } dir
            && File.Exists(_trace.Path))
            File.Copy(_trace.Path, Path.Combine(dir, _fixture + ".jsonl"), overwrite: true);
        _trace.Dispose();
    }

    /// <summary>The sshd processes whose parent is Tend: the listener (connections are its children).</summary>
    private static List<ProcInfo> Listeners(DaemonRun r) => r.Processes().Where(p => p.Exe == "/usr/sbin/sshd"
        && p.Ppid == r.T.Pid).ToList();

    [Fact]
    public void Input_1_sshd_as_the_command_stays_the_service_when_a_connection_comes_in_its_first_100_ms()
    {
        _fixture = "sshd-login-in-first-100ms";
        var ssh = Daemon.Get("ssh");
        _ = ssh.Bound;
        var d = ssh with { Command = "/usr/sbin/sshd" };
        // A client in the namespace connects as soon as sshd listens (it starts before Tend, from the namespace's setup,
        // and polls every 2 ms), and holds the connection: sshd's child for it runs in a session of its own.
        var connected = Path.Combine("/var/tmp", $"tend-connected-{Guid.NewGuid():N}");
        using var r = DaemonRun.StartWith(output,
            $"install -d -m 0755 /run/sshd\n(for i in $(seq 2000); do {{ exec 3<>/dev/tcp/127.0.0.1/22; }} 2>/dev/null && break; sleep " +
                $"0.002; done; " +
            $"date +%s%N > {connected}; exec sleep 30 <&3) </dev/null >/dev/null 2>&1 &", _trace.Path, "/usr/sbin/sshd");
        try
        {
            Assert.True(Proc.Until(() => File.Exists(connected) && File.ReadAllText(connected).EndsWith('\n'), TimeSpan.FromSeconds(10), 1),
                "the client never connected");
            var started = r.T.Next("sshd", "started");
            var connectedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(File.ReadAllText(connected).Trim()) / 1_000_000);
            var startedAt = DateTimeOffset.Parse(Str(started, "time")!, System.Globalization.CultureInfo.InvariantCulture);
            r.Log($"connected {(connectedAt - startedAt).TotalMilliseconds:F0} ms after sshd was started");
            List<ProcInfo> sessions = [];
            Assert.True(Proc.Until(() => (sessions = r.Processes().Where(p => p.Exe == "/usr/sbin/sshd" && p.Ppid != r.T.Pid
                && p.Sid == p.Pid).ToList()).Count > 0,
                TimeSpan.FromSeconds(30)), $"no session for the connection\n{r.Tree()}");
            // What this test is about: a look during sshd's start-up saw the connection's process (a bound on the
            // connection's time would fail for the machine's load; the look is the fact), and then the start-up ended.
            _trace.WaitForLookSeeing("sshd", sessions[0].NsPid);
            r.WaitAnswers(d);
            _trace.WaitStartedUp("sshd"); // past the looks of start-up, where the connection could be taken for the daemon
            var listener = Listeners(r).Single();
            var (state, main, _) = r.Main();
            Assert.True(state == "running" && main?.Pid == listener.Pid,
                $"tend status: {state}, main {main}; the listener is {listener}\n{r.Tree()}\n{r.T.Stderr}");
            Assert.DoesNotContain(r.T.Events, e => Str(e, "event") == "daemonized");

            // kill -9 of the listener: back (the connection's process is re-parented to Tend: not it).
            var known = sessions.Select(p => p.Pid).Append(listener.Pid).ToHashSet();
            var k = Stopwatch.StartNew();
            Assert.Equal(0, Proc.kill(listener.Pid, Libc.SIGKILL));
            ProcInfo? fresh = null;
            Assert.True(Proc.Until(() => (fresh = Listeners(r).FirstOrDefault(p => !known.Contains(p.Pid))) is not null
                && d.Answers(r.T.Pid), DaemonRun.Hang),
                $"sshd was not restarted after kill -9 of its listener\n{r.Tree()}\n{r.T.Stderr}");
            r.LogBack(d, k.Elapsed, "kill -9 of the listener with a connection open");

            // A connection after the new listener's start-up is its own; tend stop stops the listener and leaves it.
            _trace.WaitStartedUp("sshd", runs: 2);
            using var later = Proc.StartInNamespace(r.T.Pid, "exec 3<>/dev/tcp/127.0.0.1/22; echo connected; exec sleep 30 <&3");
            var connectedLater = later.StandardOutput.ReadLineAsync();
            Assert.True(Proc.Until(() => connectedLater.IsCompleted, TimeSpan.FromSeconds(10), 5), "the later client never connected");
            List<ProcInfo> laterSessions = [];
            Assert.True(Proc.Until(() => (laterSessions = r.Processes().Where(p => p.Exe == "/usr/sbin/sshd" && p.Ppid == fresh!.Pid
                && p.Sid == p.Pid).ToList()).Count > 0,
                TimeSpan.FromSeconds(5)), $"no session for the later connection\n{r.Tree()}");
            var (code, _, err) = r.T.Ctl("stop", "sshd");
            Assert.True(code == 0, err);
            Assert.True(Proc.Until(() => !Proc.Alive(fresh!), TimeSpan.FromSeconds(5)),
                $"tend stop left the listener running\n{r.Tree()}\n{r.T.Stderr}");
            Assert.True(laterSessions.All(Proc.Alive), $"tend stop stopped a connection made after start-up\n{r.Tree()}\n{r.T.Stderr}");
            Proc.KillTree(later.Id);
        }
        finally { File.Delete(connected); }
    }

    [Fact]
    public void Input_3_nginxs_binary_upgrade_is_a_hand_over_not_a_crash()
    {
        _fixture = "nginx-binary-upgrade";
        // By its path: the new master execs argv[0] (nginx's ngx_exec_new_binary), which `nginx` alone would not find.
        var nginx = Daemon.Get("nginx");
        _ = nginx.Bound;
        var d = nginx with { Command = "/usr/sbin/nginx" };
        using var r = DaemonRun.StartWith(output, "true", _trace.Path, d.Command);
        r.WaitAnswers(d);
        r.WaitSettled();
        _trace.WaitStartedUp("nginx"); // past the run's start-up (Tend's last look): the upgrade comes to a settled daemon
        var master = r.RunningMain(d);
        var startedBefore = r.T.Events.Count(e => Str(e, "event") == "started");

        // nginx's documented upgrade ("Controlling nginx"): USR2 starts a new master, QUIT ends the old one gracefully.
        Assert.Equal(0, Proc.kill(master.Pid, Libc.SIGUSR2));
        ProcInfo? next = null;
        Assert.True(Proc.Until(() => (next = r.Processes().FirstOrDefault(p => p.Ppid == master.Pid
            && p.Args.Contains("master process"))) is not null
            && r.Processes().Any(p => p.Ppid == next.Pid), TimeSpan.FromSeconds(10)), $"no new master after USR2\n{r.Tree()}");
        Assert.Equal(0, Proc.kill(master.Pid, Libc.SIGQUIT));
        Assert.True(Proc.Until(() => !Proc.Alive(master), TimeSpan.FromSeconds(10)), "the old master did not quit");
        var handOver = r.T.Next(e => Str(e, "event") == "daemonized" && Str(e, "message")!.Contains("new copy of itself"), seconds: 5);
        r.Log($"{Str(handOver, "message")}\n{r.Tree()}");

        // The new master carries on: not stopped, not restarted; it is the main process and nginx answers.
        Assert.True(Proc.Until(() => r.Main() is { State: "running", Main: { } m } && m.Pid == next!.Pid, TimeSpan.FromSeconds(5)),
            $"tend status does not follow the new master {next}\n{r.T.Stderr}");
        // No wait for a stop that might come: Tend decides on the old master's exit in the round that logged the hand-over;
        // a stop or cleanup would have shown in the status just read (answered by the supervisor's thread after it).
        Assert.True(Proc.Alive(next!), $"the new master was stopped\n{r.T.Stderr}");
        Assert.Equal(startedBefore, r.T.Events.Count(e => Str(e, "event") == "started"));
        Assert.True(d.Answers(r.T.Pid));

        // And its death is a crash like any other: back and answering.
        var old = r.Servers(d);
        var k = Stopwatch.StartNew();
        Assert.Equal(0, Proc.kill(next!.Pid, Libc.SIGKILL));
        r.LogBack(d, r.WaitNewAnswers(d, old, k), "kill -9 of the upgraded master");
    }

    [Fact]
    public void Input_4_mysqld_safe_as_the_command_is_the_main_process_and_its_kill_restarts_the_pair()
    {
        _fixture = "mysqld-safe-direct";
        var maria = Daemon.Get("mariadb");
        _ = maria.Bound;
        var d = maria with { Command = "mysqld_safe" };
        using var r = DaemonRun.StartWith(output, "install -d -o mysql -g mysql -m 0755 /run/mysqld", _trace.Path, d.Command);
        r.WaitAnswers(d);
        r.WaitSettled();
        var main = r.RunningMain(d);
        Assert.Equal("mysqld_safe", main.Comm);
        var old = r.Servers(d);
        r.Log($"main {main}\n{r.Tree()}");
        var k = Stopwatch.StartNew();
        Assert.Equal(0, Proc.kill(main.Pid, Libc.SIGKILL));
        // The server it watched is stopped, and the pair starts again.
        r.LogBack(d, r.WaitNewAnswers(d, old, k), "kill -9 of mysqld_safe");
        Assert.Equal("mysqld_safe", r.RunningMain(d).Comm);
    }

    [Fact]
    public void Service_apache2_restart_run_by_hand_leaves_apache_answering_under_tend()
    {
        // What an operator types in `docker exec`: the script stops apache (Tend sees its main process end and starts it
        // again at once) and then starts it itself. Whoever wins, apache must answer again, Tend must follow only what
        // its own command started, and nothing may be left failed.
        _fixture = "apache2-restart-by-hand";
        var d = Daemon.Get("apache2");
        using var r = DaemonRun.StartWith(output, "true", _trace.Path, d.Command);
        r.WaitAnswers(d);
        r.WaitSettled();
        var (code, text) = Proc.InNamespace(r.T.Pid, "service apache2 restart", 60);
        r.Log($"`service apache2 restart` by hand exited {code}: {text.Trim()}\n{r.Tree()}");
        Assert.True(Proc.Until(() => d.Answers(r.T.Pid), DaemonRun.Hang, 20),
            $"apache does not answer after a restart by hand\n{r.Tree()}\n{r.T.Stderr}");
        r.WaitSettled();
        var main = r.RunningMain(d);
        // The main process is one Tend's command started (it carries the run's mark), not the one the hand-run script made.
        Assert.True(ProcFs.ParseMark(File.ReadAllBytes($"/proc/{main.Pid}/limits")) >= RunMarks.Base,
            $"tend follows {main}, which its command did not start\n{r.Tree()}\n{r.T.Stderr}");
        r.AssertNothingFailed();
    }
}
