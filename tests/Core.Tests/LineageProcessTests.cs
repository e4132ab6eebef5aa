using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>
/// A service is what its command started: launchers that hand over to daemons whatever their names, late daemons,
/// launchers that complete, servers detached by a launcher that still waits, and what PID 1 ends last. Real processes,
/// Tend as PID 1 of a fresh PID namespace unless said otherwise.
/// </summary>
public class LineageProcessTests
{
    /// <summary>A directory with a server script that writes its pid on start and "term" when it gets SIGTERM.</summary>
    private sealed class Scratch : IDisposable
    {
        public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("tend-lineage-");

        public string Path(string name) => System.IO.Path.Combine(Dir.FullName, name);

        /// <summary>An executable script called <paramref name="name"/> (its comm is that name).</summary>
        public string Script(string name, string body)
        {
            var path = Path(name);
            File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
            File.SetUnixFileMode(path,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            return path;
        }

        /// <summary>A server that records its pid in NAME.pid and "term" in NAME.term when SIGTERM reaches it.</summary>
        public string Server(string name) => Script(name,
            $"echo $$ > {Path(name)}.pid\ntrap 'echo term > {Path(name)}.term; exit 0' TERM\nwhile :; do sleep 0.05; done");

        /// <summary>The pid the server <paramref name="name"/> wrote (in its own PID namespace), once it did.</summary>
        public int ServerPid(string name, double seconds = 10)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                if (File.Exists(Path(name) + ".pid")
                    && File.ReadAllText(Path(name) + ".pid").Trim() is { Length: > 0 } text) return int.Parse(text);
                Thread.Sleep(5);
            }
            throw new TimeoutException($"{name} did not start within {seconds}s");
        }

        public bool GotTerm(string name, double seconds = 5)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                if (File.Exists(Path(name) + ".term")) return true;
                Thread.Sleep(10);
            }
            return false;
        }

        public void Dispose() => Dir.Delete(true);
    }

    [Fact]
    public void A_daemon_an_init_script_leaves_with_nohup_is_the_service_and_is_never_killed_by_a_relaunch()
    {
        using var s = new Scratch();
        File.CreateSymbolicLink(s.Path("mydbd"), "/bin/sleep");
        var launcher = s.Script("initscript", $"nohup {s.Path("mydbd")} 1000 >/dev/null 2>&1 &\nexit 0");
        using var trace = new LiveTrace();
        using var t = Start([launcher], env: trace.Env);
        var handedOver = t.Next("initscript", "daemonized");
        var daemon = t.Find("mydbd")!.Value;
        Assert.Equal(NsPid(daemon), Int(handedOver, "pid"));
        // Past start-up (Tend's last look at the run): the daemon, which shares its launcher's process group, still runs,
        // and nothing relaunched.
        trace.WaitStartedUp("initscript");
        Assert.Equal(daemon, t.Find("mydbd"));
        Assert.Single(t.Events, e => Str(e, "event") == "started");
        Assert.DoesNotContain(t.Events, e => Str(e, "event") is "exited" or "failed" or "killed");
        // Its death is the service's: restarted at once.
        Assert.Equal(0, kill(daemon, Libc.SIGKILL));
        var (_, elapsed) = t.WaitForNew("mydbd", daemon);
        t.AssertRestartedAtOnce("initscript", elapsed);
    }

    [Fact]
    public void Under_always_a_launcher_that_exits_0_and_leaves_nothing_is_restarted_then_fails_and_the_others_run_on()
    {
        // Issue 23, input 6: `always` means always (systemd Restart=always, supervisord autorestart=true, s6, runit).
        using var t = Start("sh -c 'exit 0'", "sleep 1000");
        var failed = t.Next("sh", "failed", seconds: 20);
        Assert.Contains("start limit", Str(failed, "message"));
        Assert.True(t.Events.Count(e => Str(e, "service") == "sh" && Str(e, "event") == "started") > 1, t.Stderr);
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") == "completed");
        Assert.NotNull(t.Find("sleep"));
        Assert.False(t.HasExited);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Under_on_failure_a_launcher_that_exits_0_and_leaves_nothing_has_completed_and_the_others_run_on()
    {
        using var t = Start("--restart", "on-failure", "sh -c 'exit 0'", "sleep 1000");
        var completed = t.Next("sh", "completed");
        Assert.Equal(0, Int(completed, "exitCode"));
        Assert.Contains(t.Events, e => Str(e, "service") == "sleep" && Str(e, "event") == "started");
        Assert.Single(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") == "started");
        Assert.NotNull(t.Find("sleep"));
        Assert.False(t.HasExited);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void A_lone_service_that_completes_ends_tend_with_0_and_a_critical_one_too()
    {
        // Issue 23, input 7: nothing left to run is the end, like `docker run IMAGE true`.
        using (var t = Start("--restart", "on-failure", "true"))
        {
            t.Next("true", "completed");
            Assert.Equal(0, t.WaitForExit());
        }
        using (var t = Start("--restart", "on-failure", "--critical", "/bin/true", "sleep 1000"))
        {
            t.Next("true", "completed");
            Assert.Equal(0, t.WaitForExit());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_server_detached_by_a_launcher_that_still_waits_gets_sigterm_at_shutdown(bool pid1)
    {
        // What `pg_ctl start -w` does: the server runs in a session of its own while the launcher, its parent, waits.
        // The launcher stays the main process (the server is its child: it waits for it), and a stop reaches both.
        using var s = new Scratch();
        var server = s.Server("srvd");
        using var trace = new LiveTrace();
        using var t = Start([$"sh -c 'setsid {server} & sleep 1000'"], pid1: pid1, env: trace.Env);
        var srvd = s.ServerPid("srvd");
        // Two looks at the run that saw the server: a hand-over would have happened by now (it is decided at a look).
        trace.WaitForLookSeeing("sh", srvd);
        trace.WaitForLooks("sh", 2, trace.Looks("sh"));
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "daemonized");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.True(s.GotTerm("srvd", 0.5), "the detached server did not get SIGTERM");
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "killed");
    }

    [Fact]
    public void As_pid_1_tend_ends_with_sigterm_a_helper_started_later_in_a_session_of_its_own()
    {
        using var s = new Scratch();
        var helper = s.Server("helperd");
        // Started after the service's start-up: not the service's, but still in the container.
        using var t = Start($"sh -c 'sleep 3; setsid {helper} & exec sleep 1000'");
        s.ServerPid("helperd", 10);
        Assert.NotNull(t.Find("helperd"));
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.True(s.GotTerm("helperd", 0.5), "the helper did not get SIGTERM");
        Assert.Contains("stopping what is left in the container", t.Stderr);
    }

    [Fact]
    public void A_daemon_that_detaches_after_start_up_is_still_stopped_by_sigterm()
    {
        using var s = new Scratch();
        var server = s.Server("lated");
        // The daemon leaves its launcher's group and session three seconds in, once start-up is over.
        var launcher = s.Script("launchd", $"( sleep 3; exec setsid {server} ) </dev/null >/dev/null 2>&1 &\nexit 0");
        using var t = Start("--stop-timeout", "2s", launcher);
        t.Next("launchd", "daemonized");
        s.ServerPid("lated", 10);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit(10));
        Assert.True(s.GotTerm("lated", 0.5), "the daemon did not get SIGTERM");
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "killed");
    }

    [Fact]
    public void What_a_failing_launcher_left_is_stopped_even_when_it_detached_at_once()
    {
        using var s = new Scratch();
        var server = s.Server("nzd");
        using var t = Start("--restart", "never", $"sh -c 'setsid -f {server} </dev/null >/dev/null 2>&1; exit 3'");
        var failed = t.Next("sh", "failed");
        Assert.Equal(3, Int(failed, "exitCode"));
        Assert.True(s.GotTerm("nzd", 5), "the daemon the failing launcher left was not stopped");
    }

    [Fact]
    public void A_session_the_running_daemon_starts_itself_survives_its_restart_even_during_start_up()
    {
        // Like an sshd login half a second after sshd started: the daemon starts a session of its own.
        using var s = new Scratch();
        var session = s.Server("sessiond");
        var daemon = s.Script("maind", $"sleep 0.5\nsetsid {session} </dev/null >/dev/null 2>&1 &\nexec sleep 1000");
        using var trace = new LiveTrace();
        using var t = Start([$"sh -c '{daemon} & exit 0'"], env: trace.Env);
        t.Next("sh", "daemonized");
        var sessiond = s.ServerPid("sessiond");
        // Once a look saw it: a session started since Tend's last look, in the instant before the daemon dies, cannot be
        // told from one its launcher detached.
        trace.WaitForLookSeeing("sh", sessiond);
        var main = t.Find("sleep")!.Value;
        Assert.Equal(0, kill(main, Libc.SIGKILL));
        t.Next("sh", "started");
        Assert.False(s.GotTerm("sessiond", 1), "the daemon's own session was stopped with the service");
        Assert.NotNull(t.Find("sessiond"));
    }

    [Theory]
    [InlineData("lineage", false)]
    [InlineData("process", true)]
    public void The_kill_mode_says_whether_a_helper_of_the_main_process_survives_its_restart(string mode, bool survives)
    {
        using var s = new Scratch();
        var helper = s.Server("helperd");
        File.CreateSymbolicLink(s.Path("maind"), "/bin/sleep");
        using var t = Start("--kill-mode", mode, $"sh -c '{helper} & exec {s.Path("maind")} 1000'");
        s.ServerPid("helperd");
        var helperPid = t.Find("helperd")!.Value;
        var main = t.Find("maind")!.Value;
        Assert.Equal(0, kill(main, Libc.SIGKILL));
        t.WaitForNew("maind", main);
        Assert.Equal(!survives, s.GotTerm("helperd", survives ? 1 : 5));
        if (survives) Assert.Equal(helperPid, t.Find("helperd"));
    }

    [Fact]
    public void A_spawned_process_and_what_it_starts_through_env_i_and_setsid_carry_the_mark_and_tend_does_not()
    {
        var spawner = new Spawner();
        var mark = RunMarks.Next();
        var dir = Directory.CreateTempSubdirectory("tend-mark-");
        try
        {
            var pidFile = Path.Combine(dir.FullName, "pid");
            // What a Debian `service` script does to its daemon: a cleared environment, a new session, a double fork.
            var pid = spawner.Spawn(Command.Parse($"env -i setsid sh -c 'sleep 30 & echo $! > {pidFile}'"), null, -1, -1, out var error,
                mark);
            Assert.True(pid > 0, error);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0) && DateTime.UtcNow < deadline) Thread.Sleep(5);
            var daemon = int.Parse(File.ReadAllText(pidFile).Trim());
            try
            {
                Assert.Equal(mark, ProcFs.ReadMark(daemon));
                Assert.Equal(0UL, ProcFs.ReadMark(Environment.ProcessId));
            }
            finally
            {
                kill(daemon, Libc.SIGKILL);
                Reap(pid);
            }
        }
        finally { dir.Delete(true); }
    }

    private static unsafe void Reap(int pid)
    {
        Libc.SigInfo info;
        Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED);
    }
}
