using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>Reaping and tracking with real processes: orphans leave no zombie and hide no exit, a terminal changes
/// nothing, a daemon is followed through re-parenting, and not as PID 1 Tend is a subreaper.</summary>
public class ReapingProcessTests
{
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
        // It exits after 1.7 s (time enough to be found on a loaded machine); unreaped, it would stay a zombie for ever. It must vanish
        // from /proc entirely.
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
        // Three quick exits: restarted after 0, 100 and 200 ms of backoff, below the start limit (5).
        for (var k = 1; k <= 3; k++)
        {
            Assert.Equal(0, kill(victim, Libc.SIGKILL));
            var exited = t.Next(e => Str(e, "service") == "tail" && Str(e, "event") is not ("started" or "info"));
            Assert.Equal("SIGKILL", Str(exited, "signal"));
            Assert.Equal(k, Int(t.Next("tail", "started"), "restarts"));
            victim = t.WaitForNew("tail", victim).Pid;
        }
        // Every zombie seen is gone later (reaped: a zombie Tend missed would stay one for ever); the timeout catches a hang.
        var zombies = t.Descendants().Where(d => d.State == 'Z').Select(d => d.Pid).ToHashSet();
        var sw = Stopwatch.StartNew();
        while (t.Descendants().Any(d => d.State == 'Z' && zombies.Contains(d.Pid))
            && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(10);
        Assert.DoesNotContain(t.Descendants(), d => d.State == 'Z' && zombies.Contains(d.Pid));
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "sh" && Str(e, "event") != "started");
    }

    [Fact]
    public async Task As_pid_1_with_a_terminal_tend_still_sees_each_exit_code()
    {
        // `script` gives tend a pty on stdin/stdout/stderr, as `docker run -t` does. Any use of System.Console
        // there would make the runtime reap PID 1's children itself, and the status below would be lost.
        var cmd =
            $"unshare --pid --fork --mount-proc --kill-child {Binary} --log-format json --keep-run --restart never \"sh -c 'exit 7'\" " +
                $"\"sh -c 'kill -USR1 \\$\\$'\"";
        var psi = new ProcessStartInfo("script", ["-qec", cmd, "/dev/null"]) { RedirectStandardOutput = true,
            RedirectStandardInput = true };
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
            t.AssertRestartedAtOnce("mydaemon", elapsed);
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
            t.AssertRestartedAtOnce(name, elapsed);
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
}
