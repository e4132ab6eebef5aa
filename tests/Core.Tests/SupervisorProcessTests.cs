using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>The engine with real processes, real signals and Tend as PID 1 of a real PID namespace.</summary>
public class SupervisorProcessTests
{
    [Fact]
    public void A_killed_foreground_service_is_back_within_milliseconds()
    {
        using var t = Start("sleep 1000");
        var started = t.Next("sleep", "started");
        var first = t.Find("sleep")!.Value;
        Assert.Equal(0, kill(first, Libc.SIGKILL));
        var (second, elapsed) = t.WaitForNew("sleep", first);
        var exited = t.Next("sleep", "exited");
        Assert.Equal("SIGKILL", Str(exited, "signal"));
        Assert.Equal(1, Int(t.Next("sleep", "started"), "restarts"));
        Assert.NotEqual(first, second);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"restart took {elapsed.TotalMilliseconds} ms");
        Assert.True(Int(started, "pid") > 1);
    }

    [Fact]
    public void Sigterm_stops_every_service_and_kills_the_one_that_ignores_it_at_its_timeout()
    {
        using var t = Start("--stop-timeout", "700ms",
            "sleep 1000",
            "sh -c 'trap \"\" TERM; echo ready; while :; do sleep 0.05; done'",
            "tail -f /dev/null");
        t.NextAll(("sleep", "started"), ("sh", "started"), ("tail", "started"));
        t.WaitForStdout("ready\n"); // sh set its trap: a SIGTERM before would end it at once
        var sw = Stopwatch.StartNew();
        t.Signal(Libc.SIGTERM);
        var code = t.WaitForExit();
        sw.Stop();
        Assert.Equal(0, code);
        var events = t.Events;
        var stoppedByTerm = events.Where(e => Str(e, "event") == "stopped" && Str(e, "signal") == "SIGTERM").Select(e => Str(e, "service")).ToHashSet();
        Assert.Contains("sleep", stoppedByTerm);
        Assert.Contains("tail", stoppedByTerm);
        Assert.Contains(events, e => Str(e, "service") == "sh" && Str(e, "event") == "killed");
        Assert.Contains(events, e => Str(e, "service") == "sh" && Str(e, "event") == "stopped" && Str(e, "signal") == "SIGKILL");
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(650), $"stopped after {sw.ElapsedMilliseconds} ms: before the stop timeout");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"stopped after {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_second_sigterm_kills_at_once_instead_of_waiting_for_the_stop_timeout()
    {
        using var t = Start("--stop-timeout", "30s", "sh -c 'trap \"\" TERM; echo armed; while :; do sleep 0.05; done'");
        t.Next("sh", "started");
        t.WaitForStdout("armed\n");
        t.Signal(Libc.SIGTERM);
        t.Next("sh", "stopping");
        var sw = Stopwatch.StartNew();
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.ElapsedMilliseconds} ms");
        Assert.Contains(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") == "stopped" && Str(e, "signal") == "SIGKILL");
    }

    [Fact]
    public void An_orphaned_grandchild_that_exits_leaves_no_zombie()
    {
        using var t = Start("sh -c '(sleep 1.7 &); exec sleep 1000'");
        t.Next("sh", "started");
        // The subshell exits at once, so `sleep 0.7` is orphaned and re-parented to tend (PID 1).
        var sw = Stopwatch.StartNew();
        int? orphan = null;
        while (orphan is null && sw.Elapsed < TimeSpan.FromSeconds(3))
        {
            foreach (var d in t.Descendants().Where(d => d.Ppid == t.Pid && d.Comm == "sleep" && d.State != 'Z'))
            {
                try { if (File.ReadAllText($"/proc/{d.Pid}/cmdline").Contains("1.7")) orphan = d.Pid; }
                catch (IOException) { }
            }
            Thread.Sleep(2);
        }
        Assert.True(orphan is not null, "the orphan never showed up as tend's child");
        // It exits after 1.7 s (time enough to be found on a loaded machine); unreaped, it would stay a zombie for ever. It must vanish from /proc entirely.
        sw.Restart();
        while (File.Exists($"/proc/{orphan}/stat") && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        Assert.False(File.Exists($"/proc/{orphan}/stat"), "the orphan was not reaped");
        Assert.DoesNotContain(t.Descendants(), d => d.State == 'Z');
    }

    [Fact]
    public void Orphans_reaped_at_once_do_not_hide_the_services_exits()
    {
        // One service leaves an orphan every ~5 ms (each lives 10 ms). The reaper reaps every exit the moment it
        // happens and reports only those the supervisor relies on; meanwhile another service is killed and must be
        // seen exiting, with its signal, and restarted each time (an exit reaped but not reported would hang here).
        using var t = Start("sh -c 'while :; do (sleep 0.01 &); sleep 0.005; done'", "tail -f /dev/null");
        t.Next("tail", "started");
        var victim = t.Find("tail")!.Value; // a pid seen from here, not from inside tend's namespace
        for (var k = 1; k <= 3; k++)
        {
            Thread.Sleep(1100); // a healthy run each time: restarts are immediate, not backed off
            Assert.Equal(0, kill(victim, Libc.SIGKILL));
            var exited = t.Next(e => Str(e, "service") == "tail" && Str(e, "event") is not ("started" or "info"));
            Assert.Equal("SIGKILL", Str(exited, "signal"));
            Assert.Equal(k, Int(t.Next("tail", "started"), "restarts"));
            victim = t.WaitForNew("tail", victim).Pid;
        }
        // Every zombie seen is gone a moment later: nothing is left unreaped.
        var zombies = t.Descendants().Where(d => d.State == 'Z').Select(d => d.Pid).ToList();
        Thread.Sleep(300);
        Assert.DoesNotContain(t.Descendants(), d => d.State == 'Z' && zombies.Contains(d.Pid));
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") != "started");
    }

    [Fact]
    public async Task As_pid_1_with_a_terminal_tend_still_sees_each_exit_code()
    {
        // `script` gives tend a pty on stdin/stdout/stderr, as `docker run -t` does. Any use of System.Console
        // there would make the runtime reap PID 1's children itself, and the status below would be lost.
        var cmd = $"unshare --pid --fork --mount-proc --kill-child {Binary} --log-format json --keep-run --restart never \"sh -c 'exit 7'\" \"sh -c 'kill -USR1 \\$\\$'\"";
        var psi = new ProcessStartInfo("script", ["-qec", cmd, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var output = await p.StandardOutput.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        var events = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{'))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => Str(e, "service") == "sh" && Int(e, "exitCode") == 7);
        Assert.Contains(events, e => Str(e, "service") == "sh-2" && Str(e, "signal") == "SIGUSR1");
        Assert.Equal(1, p.ExitCode); // every service ended, and they failed
    }

    [Fact]
    public void A_crash_looping_service_backs_off_is_marked_failed_and_tend_stays_idle()
    {
        using var t = Start("sh -c 'exit 3'", "sleep 1000");
        var failed = t.Next("sh", "failed", 20);
        Assert.Contains("start limit", Str(failed, "message"));
        var delays = t.Events.Where(e => Str(e, "service") == "sh" && Str(e, "event") == "exited").Select(e => Int(e, "delayMs")).ToList();
        Assert.Equal([0, 100, 200, 400, 800], delays);
        // Near idle once it gave up: no CPU time spent over a second, and still answering signals.
        var before = CpuTicks(t.Pid);
        Thread.Sleep(1000);
        Assert.InRange(CpuTicks(t.Pid) - before, 0, 2);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void A_program_that_disappears_after_the_start_is_retried_with_backoff_then_failed()
    {
        // Missing when Tend starts is a usage error (UsageErrorTests); gone later is a failed start like any other.
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var program = Path.Combine(dir.FullName, "worker");
            File.WriteAllText(program, "#!/bin/sh\nexec sleep 1000\n");
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var t = Start(program);
            t.Next("worker", "started");
            var sleep = WaitForSleep(t);
            File.Delete(program);
            var sw = Stopwatch.StartNew();
            Assert.Equal(0, kill(sleep, Libc.SIGKILL));
            t.Next("worker", "exited");
            var error = Str(t.Next("worker", "spawn-error"), "message");
            Assert.Contains($"'{program}' does not exist", error);
            t.Next("worker", "failed", 20);
            Assert.Equal(1, t.WaitForExit());
            var errors = t.Events.Where(e => Str(e, "service") == "worker" && Str(e, "event") == "spawn-error").ToList();
            Assert.True(errors.Count >= 3, $"only {errors.Count} attempts");
            Assert.All(errors, e => Assert.Equal(1, CountOf(Str(e, "message")!, program)));
            Assert.True(sw.Elapsed > TimeSpan.FromMilliseconds(700), "gave up before backing off");
        }
        finally { dir.Delete(true); }
    }

    private static int WaitForSleep(TendRun t)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (t.Find("sleep") is { } pid) return pid;
            Thread.Sleep(2);
        }
        throw new TimeoutException("the worker never exec'd sleep");
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public void Log_prefix_prefixes_every_line_and_keeps_a_last_line_without_newline()
    {
        using var t = Start("--log-prefix", "--restart", "never", "sh -c 'echo one; echo two >&2; printf three'", "tail -f /dev/null");
        t.Next("sh", "completed");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.Contains("sh | one\n", t.Stdout);
        Assert.Contains("sh | three\n", t.Stdout);
        Assert.Contains("sh | two\n", t.Stderr);
    }

    [Fact]
    public void Log_prefix_loses_no_line_of_a_burst()
    {
        using var t = Start("--log-prefix", "--restart", "never", "seq 1 20000", "tail -f /dev/null");
        t.Next("seq", "completed");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        var lines = t.Stdout.Split('\n').Where(l => l.StartsWith("seq | ")).Select(l => int.Parse(l[6..])).ToList();
        Assert.Equal(Enumerable.Range(1, 20000), lines);
    }

    [Fact]
    public void Log_prefix_beyond_the_open_file_limit_is_a_clear_error()
    {
        // 100 services need 400 pipe ends, above a hard open-file limit of 256: a clear error, nothing started.
        using var t = Start(["--log-prefix", .. Enumerable.Range(0, 100).Select(i => $"sleep {1000 + i}")], setup: "ulimit -n 256");
        Assert.Equal(1, t.WaitForExit());
        Assert.Contains("--log-prefix needs two pipes per service", t.Stderr);
        Assert.Contains("raise the open-file limit", t.Stderr);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "started");
    }

    [Fact]
    public void Log_prefix_raises_the_soft_open_file_limit_when_the_hard_one_allows()
    {
        using var t = Start(["--log-prefix", .. Enumerable.Range(0, 100).Select(i => $"sleep {1000 + i}")], setup: "ulimit -Sn 256; ulimit -Hn 4096");
        for (var i = 0; i < 100; i++) t.Next(e => Str(e, "event") == "started");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Sighup_is_forwarded_to_each_service()
    {
        using var t = Start("sh -c 'trap \"echo got-hup\" HUP; echo armed; while :; do sleep 0.05; done'");
        t.Next("sh", "started");
        t.WaitForStdout("armed\n"); // a HUP before the trap would end sh
        t.Signal(Libc.SIGHUP);
        var sw = Stopwatch.StartNew();
        while (!t.Stdout.Contains("got-hup") && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
        Assert.Contains("got-hup", t.Stdout);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "exited");
    }

    [Fact]
    public void A_daemonizing_service_is_tracked_through_re_parenting()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var launcher = DaemonLauncher(dir, "mydaemon");

            using var t = Start(launcher);
            var d = t.Next("mydaemon", "daemonized");
            var daemon = t.Find("mydaemon")!.Value;
            Assert.Equal(0, kill(daemon, Libc.SIGKILL));
            var (_, elapsed) = t.WaitForNew("mydaemon", daemon);
            t.Next("mydaemon", "daemonized");
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"restart took {elapsed.TotalMilliseconds} ms");
            Assert.Equal(1, t.Events.Count(e => Str(e, "event") == "exited"));
            Assert.NotNull(Int(d, "pid"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Not_pid_1_tend_becomes_a_subreaper_and_still_sees_a_daemon_die_at_once()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var name = "tdaemon" + Environment.ProcessId;
            var launcher = DaemonLauncher(dir, name);

            using var t = Start([launcher], pid1: false);
            t.Next(name, "daemonized");
            var daemon = t.Find(name)!.Value;
            Assert.Equal(t.Pid, File.ReadAllText($"/proc/{daemon}/stat").Split(") ")[1].Split(' ')[1] is var ppid ? int.Parse(ppid) : 0);
            Assert.Equal(0, kill(daemon, Libc.SIGKILL));
            var (_, elapsed) = t.WaitForNew(name, daemon);
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"restart took {elapsed.TotalMilliseconds} ms");
            t.Signal(Libc.SIGTERM);
            Assert.Equal(0, t.WaitForExit());
        }
        finally { dir.Delete(true); }
    }

    /// <summary>The seed's pattern: a launcher with the daemon's name forks the daemon (a `sleep` under that name) and exits 0.</summary>
    private static string DaemonLauncher(DirectoryInfo dir, string name)
    {
        Directory.CreateDirectory(Path.Combine(dir.FullName, "bin"));
        File.CreateSymbolicLink(Path.Combine(dir.FullName, "bin", name), "/bin/sleep");
        var launcher = Path.Combine(dir.FullName, name);
        File.WriteAllText(launcher, $"#!/bin/sh\n{dir.FullName}/bin/{name} 1000 &\nexit 0\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return launcher;
    }

    private static long CpuTicks(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }
}
