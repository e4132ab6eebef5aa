using System.Diagnostics;

namespace Tend.Tests;

/// <summary>
/// Bad input to the real `tend` binary: one line on stderr that names the problem once and says what to do, exit
/// code 2, and nothing started.
/// </summary>
public class UsageErrorTests
{
    private static (int Code, string Err) RunTend(params string[] args)
    {
        var (code, output, err) = TendRun.Refused(args);
        Assert.Equal("", output);
        return (code, err);
    }

    private static string OneLine(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{err}");
        Assert.StartsWith("tend: error: ", lines[0]);
        return lines[0];
    }

    private static int Count(string text, string part) => text.Split(part).Length - 1;

    [Fact]
    public void No_refusal_prints_a_runtime_resource_key()
    {
        // The binary runs with UseSystemResourceKeys, as published: a runtime message would show as its key.
        string[][] cases =
        [
            ["--stop-timeout", "soon", "sleep 1"], ["--alive-failures", "-1", "sleep 1"], ["--ready", "x=tcp:99999", "sleep 1"],
            ["--ready", "x=http://[::1", "sleep 1"], ["--schedule", "sleep=61 * * * *", "sleep 1"], ["--control-socket", "", "sleep 1"],
            ["--control-socket", "/dev/null", "sleep 1"], ["--log-format", "xml", "sleep 1"], ["--kill-mode", "all", "sleep 1"],
            ["/no/such/program"], ["sleep 1 '"], ["--stdin", "nobody", "sleep 1"], ["--bogus"], ["status", "--timeout", "x"],
            ["signal", "x", "NOPE"], ["restart"],
        ];
        foreach (var args in cases)
        {
            var (code, output, err) = TendRun.Refused(args, [("TZ", "No/Such_Zone")]);
            Assert.True(code is 1 or 2, $"tend {string.Join(' ', args)}: exit {code}");
            Assert.False(Logging.PlainMessage.HasResourceKey(output + err),
                $"tend {string.Join(' ', args)} printed a resource key:\n{output}{err}");
        }
    }

    [Fact]
    public void A_control_socket_path_that_is_a_file_or_a_directory_is_refused_and_left_alone()
    {
        var dir = Directory.CreateTempSubdirectory("tend-usage-");
        try
        {
            var notes = Path.Combine(dir.FullName, "notes.txt");
            File.WriteAllText(notes, "important data");
            var (code, err) = RunTend("--control-socket", notes, "sleep 100");
            Assert.Equal(2, code);
            Assert.Contains($"the control socket path {notes} is a file that is not a socket", OneLine(err));
            Assert.Equal("important data", File.ReadAllText(notes));
            (code, err) = RunTend("--control-socket", dir.FullName, "sleep 100");
            Assert.Equal(2, code);
            Assert.Contains("is a directory", OneLine(err));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void No_control_and_a_control_socket_contradict_each_other_in_either_order()
    {
        foreach (var args in new[] { new[] { "--no-control", "--control-socket", "/tmp/x.sock", "sleep 1" }, ["--control-socket",
            "/tmp/x.sock", "--no-control", "sleep 1"] })
        {
            var (code, err) = RunTend(args);
            Assert.Equal(2, code);
            Assert.Contains("options '--no-control' and '--control-socket' contradict each other", OneLine(err));
        }
    }

    [Fact]
    public void A_missing_program_is_named_without_a_hint_about_verbs_unless_it_is_one()
    {
        var (code, err) = RunTend("stauts");
        Assert.Equal(2, code);
        Assert.DoesNotContain("verb", OneLine(err));
        (code, err) = RunTend("--", "status");
        Assert.Equal(2, code);
        Assert.Contains("'status' was not found in PATH", OneLine(err));
        Assert.DoesNotContain("goes after --", err);
    }

    [Fact]
    public void An_unknown_option_gives_one_hint()
    {
        var (code, err) = RunTend("--bogus");
        Assert.Equal(2, code);
        var line = OneLine(err);
        Assert.Equal(1, Count(line, "--help"));
        Assert.Contains("unknown option '--bogus'", line);

        (code, err) = RunTend("--log-prefx", "sleep 1");
        Assert.Equal(2, code);
        Assert.Contains("did you mean '--log-prefix'?", OneLine(err));
        Assert.DoesNotContain("--help", err);
    }

    [Fact]
    public void A_missing_program_is_a_usage_error_named_once()
    {
        var (code, err) = RunTend("/nope");
        Assert.Equal(2, code);
        var line = OneLine(err);
        Assert.Equal("tend: error: '/nope' does not exist: install it, or correct the path", line);
    }

    [Fact]
    public void A_program_not_in_PATH_is_named_once_without_the_PATH()
    {
        var (code, err) = RunTend("--", "status");
        Assert.Equal(2, code);
        var line = OneLine(err);
        Assert.Equal(1, Count(line, "'status'"));
        Assert.Contains("'status' was not found in PATH: install it, or give its full path", line);
        Assert.DoesNotContain("/usr/bin", line);
    }

    [Fact]
    public void A_file_that_is_not_executable_or_a_directory_is_a_usage_error()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var script = Path.Combine(dir.FullName, "run.sh");
            File.WriteAllText(script, "#!/bin/sh\necho hi\n");
            var (code, err) = RunTend("sleep 1000", script);
            Assert.Equal(2, code);
            Assert.Equal($"tend: error: '{script}' is not executable: make it so (chmod +x {script}), or run it through its interpreter",
                OneLine(err));

            (code, err) = RunTend(dir.FullName);
            Assert.Equal(2, code);
            Assert.Contains($"'{dir.FullName}' is a directory, not a program", OneLine(err));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_missing_readiness_command_is_a_usage_error()
    {
        var (code, err) = RunTend("sleep 1000", "--ready", "sleep=cmd:no-such-check-here --quiet");
        Assert.Equal(2, code);
        Assert.Equal("tend: error: the readiness check of service 'sleep': 'no-such-check-here' was not found in PATH: install it, or " +
            "give its full path", OneLine(err));
    }

    [Fact]
    public void Bad_values_and_empty_input_are_one_line_each()
    {
        foreach (var args in new[] { new[] { "--stop-timeout", "soon", "sleep 1" }, ["--critical=maybe", "sleep 1"], [], ["--only", "web",
            "sleep 1"] })
        {
            var (code, err) = RunTend(args);
            Assert.True(code == 2, $"tend {string.Join(' ', args)} exited {code}: {err}");
            OneLine(err);
        }
    }

    [Theory]
    [InlineData("restart")]
    [InlineData("stop")]
    [InlineData("signal", "web")]
    public void A_verb_without_its_name_points_to_its_own_help(params string[] args)
    {
        var (code, err) = RunTend(args);
        Assert.Equal(2, code);
        Assert.Contains($"Run 'tend {args[0]} --help' for the control verbs.", err);
    }
}
