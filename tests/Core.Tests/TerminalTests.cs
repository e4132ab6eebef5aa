namespace Tend.Tests;

/// <summary>
/// <c>docker run -it IMAGE bash</c>, without Docker: Tend as PID 1 under a real pseudo-terminal (<c>script</c>), an
/// interactive bash as the last command line beside another service. bash gets the terminal as its foreground: job
/// control works, Ctrl-C and Ctrl-Z reach its job alone, and its exit ends Tend with its code.
/// </summary>
public sealed class TerminalTests
{
    private static string Tend(params string[] services) =>
        $"unshare --pid --fork --mount-proc --kill-child {TendRun.Binary} --no-control {string.Join(' ', services.Select(s => $"'{s}'"))}";

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
        pty.Send("sleep 40\n");
        Thread.Sleep(100); // measuring nothing: let bash start the job before Ctrl-Z
        pty.Send("\u001a"); // Ctrl-Z: SIGTSTP to the job
        at = pty.WaitFor("Stopped", at);
        pty.Send("jobs -l\n");
        at = pty.WaitFor("sleep 40", at);
        pty.Send("kill -9 %1; echo killed\n");
        at = pty.WaitFor("killed", at);
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
}
