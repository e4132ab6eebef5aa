namespace Tend.Tests;

/// <summary>
/// What users meet beside the interactive terminal: a declared set-up task that fails (the command lines wait for it:
/// said once, retried by hand, a critical one ends the container), and <c>docker run -i IMAGE bash &lt; script</c>
/// (stdin a file or a pipe, no terminal).
/// </summary>
public sealed class SetUpAndInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tend-setup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_failed_set_up_task_is_said_once_and_tend_restart_runs_it_again_then_the_command_line_starts()
    {
        // setup (declared, one-shot) fails until $SETUP_OK exists; web (declared) runs; sleep (a command line) waits.
        using var t = TendRun.Start(["sleep 1000"], setup: $"export SETUP_OK={P("ok")}", scenario: "setup-fails");
        t.Next("setup", "failed");
        // A long set-up must not look like a hang: the command lines' wait is said at start.
        Assert.Contains(t.Events, e => TendRun.Str(e,
            "message") == "the command lines start once the set-up task setup completed (tend status shows it)");
        var blocked = t.Next("sleep", "blocked");
        Assert.Contains("waits for setup, which failed", TendRun.Str(blocked, "message"));

        // A retry that fails again runs it again (said so), and says the wait once more, not every round.
        var (code, _, err) = t.Ctl("restart", "setup");
        Assert.Equal(1, code);
        Assert.Contains("'setup' ran again and failed", err);
        t.Next("sleep", "blocked");
        Assert.Equal(2, t.Events.Count(e => TendRun.Str(e, "event") == "blocked"));

        File.WriteAllText(P("ok"), "");
        (code, var output, err) = t.Ctl("start", "setup");
        Assert.True(code == 0, err);
        Assert.Equal("setup: completed\n", output);
        t.Next("sleep", "started");
        Assert.Equal(2, t.Events.Count(e => TendRun.Str(e, "event") == "blocked"));
    }

    [Fact]
    public void A_critical_command_line_behind_a_failed_set_up_task_ends_Tend_with_1()
    {
        using var t = TendRun.Start(["--critical", "sleep 1000"], setup: $"export SETUP_OK={P("ok")}", scenario: "setup-fails");
        Assert.Equal(1, t.WaitForExit());
        Assert.Contains("critical service sleep cannot start: setup failed", t.Stderr);
        Assert.DoesNotContain(t.Events, e => TendRun.Str(e, "service") == "sleep" && TendRun.Str(e, "event") == "started");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_shell_given_a_script_on_stdin_runs_it_once_and_its_exit_code_ends_Tend(bool named)
    {
        // docker run -i IMAGE bash < script: stdin is a file or a pipe, not a terminal and not /dev/null.
        File.WriteAllText(P("script"), "echo from-the-script\nexit 7\n");
        string[] args = named ? ["--stdin", "bash", "sleep 1000", "bash"] : ["sleep 1000", "bash"];
        using var t = TendRun.Start(args, setup: $"exec <{P("script")}");
        Assert.Equal(7, t.WaitForExit());
        Assert.Contains("from-the-script\n", t.Stdout);
        Assert.Single(t.Events, e => TendRun.Str(e, "service") == "bash" && TendRun.Str(e, "event") == "started");
    }
}
