namespace Tend.Tests;

/// <summary>
/// <c>docker run -it IMAGE bash</c>, without Docker: Tend as PID 1 under a real pseudo-terminal (<c>script</c>), an
/// interactive bash as the last command line beside another service. bash gets the terminal as its foreground: job
/// control works, Ctrl-C and Ctrl-Z reach its job alone, and its exit ends Tend with its code.
/// </summary>
public sealed class TerminalTests
{
    private static string Tend(params string[] services) => Tend([], services);

    /// <summary>Tend as PID 1 of its own namespaces (--keep-run: this machine's /run is not the namespace's to clear).</summary>
    private static string Tend(string[] options, params string[] services) =>
        $"unshare --pid --fork --mount-proc --kill-child {TendRun.Binary} --no-control " +
            $"--keep-run {string.Join(' ', options)} {string.Join(' ', services.Select(s => $"'{s}'"))}";

    /// <summary>A daemon that says which of Tend's forwarded signals reach it (Apache and nginx stop on SIGWINCH).</summary>
    private const string Daemon =
        "sh -c \"trap \\\"echo daemon-got-winch\\\" WINCH; trap \\\"echo daemon-got-usr1\\\" USR1; trap \\\"echo daemon-got-usr2\\\" " +
            "USR2; while :; do sleep 0.05; done\"";

    /// <summary>Waits until a process whose /proc/PID/cmdline is <paramref name="cmdline"/> leads its terminal's foreground
    /// group (pgrp == tpgid, proc(5)); the timeout catches a hang.</summary>
    private static void WaitUntilForeground(string cmdline, double seconds = 30)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsAsciiDigit(Path.GetFileName(d)[0])))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")) != cmdline) continue;
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (f[2] == f[5]) return;
                }
                catch (IOException) { } // it just ended
            }
            Assert.True(sw.Elapsed.TotalSeconds < seconds, $"'{cmdline.Replace('\0', ' ').Trim()}' never led the terminal's foreground");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void An_interactive_bash_has_job_control_and_Ctrl_C_reaches_its_job_alone_and_exit_3_ends_Tend_with_3()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        var at = pty.WaitFor("bash: started");
        pty.Send("sleep 30 &\n");
        at = pty.WaitFor("[1] ", at);
        pty.Send("jobs\n");
        at = pty.WaitFor("Running", at);
        pty.Send("fg\n");
        at = pty.WaitFor("sleep 30\r\n", at);
        pty.Send("\u0003"); // Ctrl-C: SIGINT to the terminal's foreground group, the job bash put there
        pty.Send("echo rc=$?\n");
        at = pty.WaitFor("rc=130", at);
        // A job only this test runs (another run's `sleep 40` may be on the machine), Ctrl-Z once it leads the foreground.
        var job = $"40.{Environment.ProcessId}{Random.Shared.Next(1000, 9999)}";
        pty.Send($"sleep {job}\n");
        WaitUntilForeground($"sleep\0{job}\0");
        pty.Send("\u001a"); // Ctrl-Z: SIGTSTP to the job
        at = pty.WaitFor("Stopped", at);
        pty.Send("jobs -l\n");
        at = pty.WaitFor("sleep 40", at);
        // bash learns of the job's end from its SIGCHLD: until then it counts a stopped job and refuses the first exit (and
        // `wait` returns at once for a stopped job), so ask until the job is gone; the words only the answer holds
        // ("job""gone" prints jobgone): the terminal echoes the command line too.
        pty.Send("kill -9 %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done; echo \"job\"\"gone\"\n");
        at = pty.WaitFor("jobgone", at);
        Assert.DoesNotContain("received SIGINT", pty.Output);
        Assert.DoesNotContain("sleep: pid", pty.Output); // the other service never saw the terminal's signals
        pty.Send("exit 3\n");
        Assert.Equal(3, pty.Exit());
        Assert.Contains("exiting with code 3", pty.Output);
    }

    [Fact]
    public void An_interactive_service_that_exits_0_ends_Tend_with_0()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        pty.WaitFor("bash: started");
        pty.Send("exit\n");
        Assert.Equal(0, pty.Exit());
        Assert.Contains("exiting with code 0", pty.Output);
    }

    [Fact]
    public void SIGWINCH_reaches_the_terminals_service_alone_and_USR1_the_daemons_alone()
    {
        using var pty = new Pty(Tend(Daemon, "bash --norc --noprofile"));
        var at = pty.WaitFor("bash: started");
        // The markers are quoted as typed, so that the terminal's echo of the line never matches them.
        pty.Send("trap 'echo bash-got-\"winch\"' WINCH; trap 'echo bash-got-\"usr1\"' USR1; echo traps-\"set\"\n");
        at = pty.WaitFor("traps-set\r\n", at);
        pty.Send("kill -WINCH 1\n"); // as docker kill -s WINCH, or a resize while Tend holds the terminal
        at = pty.WaitFor("bash-got-winch", at);
        pty.Send("kill -USR1 1\n");
        at = pty.WaitFor("daemon-got-usr1", at);
        // A signal the daemon took after both: every trap it had pending by then has run.
        pty.Send("kill -USR2 1\n");
        pty.WaitFor("daemon-got-usr2", at);
        Assert.DoesNotContain("daemon-got-winch", pty.Output);
        Assert.DoesNotContain("bash-got-usr1", pty.Output);
        pty.Send("exit 4\n");
        Assert.Equal(4, pty.Exit());
    }

    [Fact]
    public void Under_log_prefix_the_terminals_service_keeps_the_terminal_for_stdin_stdout_and_stderr()
    {
        using var pty = new Pty(Tend(["--log-prefix"], "sleep 1000", "bash --norc --noprofile -i"));
        var at = pty.WaitFor("bash: started");
        pty.Send("for fd in 0 1 2; do [ -t $fd ] && echo tty-$fd-\"yes\"; done; sleep 30 & jobs\n");
        at = pty.WaitFor("tty-0-yes", at);
        at = pty.WaitFor("tty-1-yes", at);
        at = pty.WaitFor("tty-2-yes", at);
        at = pty.WaitFor("Running", at); // job control
        pty.Send("kill %1; exit 5\n");
        Assert.Equal(5, pty.Exit());
        Assert.DoesNotContain("[bash]", pty.Output); // its lines are not prefixed: they never went through a pipe
    }

    [Fact]
    public void A_stop_ends_the_interactive_bash_with_SIGHUP_not_after_its_stop_timeout()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        var at = pty.WaitFor("bash: started");
        pty.Send("kill -TERM 1\n"); // docker stop: an interactive bash ignores SIGTERM, a hang-up ends it
        Assert.Equal(0, pty.Exit());
        Assert.Contains("exited with signal SIGHUP", pty.Output);
        Assert.DoesNotContain("SIGKILL", pty.Output);
        Assert.DoesNotContain("nothing left to supervise", pty.Output);
    }

    [Fact]
    public void When_the_interactive_bash_exits_0_the_log_says_its_end_ends_the_container()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        pty.WaitFor("bash: started");
        pty.Send("exit\n");
        Assert.Equal(0, pty.Exit());
        Assert.Contains("critical service bash ended (its end ends the container)", pty.Output);
        Assert.DoesNotContain("nothing left to supervise", pty.Output);
    }
}
