using System.Diagnostics;
using Tend.Logging;

namespace Tend.Tests;

/// <summary>
/// Tend as an image with <c>USER 1000</c> runs it: PID 1 of its own PID and mount namespaces, uid 1000, no control
/// socket path given. The namespace has a /run only root may write (as in a stock image) and a /tmp of its own, or —
/// a read-only root filesystem with <c>--tmpfs /run</c> — a /run anyone may write and a /tmp no one may. The client
/// runs inside the namespace as <c>docker exec</c> would, as uid 1000 and as root, told nothing of where the socket is.
/// Both run <see cref="TendRun.ReachableBinary"/>: uid 1000 may not reach a clone under /root, nor anyone one under /tmp.
/// </summary>
public sealed class NonRootTests
{
    private const string User = "--reuid=1000 --regid=1000 --clear-groups";

    /// <summary>A stock image's /run (root's, 0755) and a /tmp of this run's own.</summary>
    private const string StockImage = "mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o mode=1777 tmpfs /tmp";

    /// <summary>A read-only root with a /run anyone may write (a Kubernetes emptyDir), /tmp read-only.</summary>
    private const string ReadOnlyRoot = "mount -t tmpfs -o mode=1777 tmpfs /run && mount -t tmpfs -o ro,mode=1777 tmpfs /tmp";

    /// <summary>docker run --read-only --tmpfs /run: Docker's tmpfs /run is root's (0755), /tmp read-only, /dev/shm 1777.</summary>
    private const string DockerReadOnly =
        "mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o ro tmpfs /tmp && mount -t tmpfs -o mode=1777 tmpfs /dev/shm";

    private static TendRun StartAsUser(string mounts, params string[] services) =>
        TendRun.Start(services, setup: $"{mounts}\nunset TEND_CONTROL_SOCKET\nexec setpriv {User} -- \"$0\" \"$@\"",
            binary: TendRun.ReachableBinary);

    /// <summary>Runs the tend binary inside the run's namespaces (mount and PID), as <paramref name="uid"/>, without
    /// TEND_CONTROL_SOCKET.</summary>
    private static (int Code, string Out, string Err) Exec(TendRun run, int uid, params string[] args)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true,
            RedirectStandardInput = true };
        foreach (var a in new[] { "-t", run.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mount", "--pid",
            "--" }) psi.ArgumentList.Add(a);
        if (uid != 0) foreach (var a in new[] { "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
            "--" }) psi.ArgumentList.Add(a);
        // Root as docker exec -u 0 has it: without CAP_SYS_PTRACE (not in Docker's default set), so PID 1's /proc/1/exe
        // cannot be read when PID 1 runs as another uid.
        else foreach (var a in new[] { "setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace", "--" })
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(TendRun.ReachableBinary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("TEND_CONTROL_SOCKET");
        psi.Environment.Remove("XDG_RUNTIME_DIR");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            _ = TendRun.kill(p.Id, Posix.Libc.SIGKILL);
            Assert.Fail($"tend {string.Join(' ', args)} did not return within 60 s");
        }
        var e = err.Result;
        Assert.False(PlainMessage.HasResourceKey(output + e),
            $"a runtime resource key in what tend {string.Join(' ', args)} printed:\n{output}{e}");
        return (p.ExitCode, output, e);
    }

    private static void Served(TendRun run, string socket)
    {
        var info = run.Next(e => TendRun.Str(e, "message")?.StartsWith("supervising ", StringComparison.Ordinal) == true);
        Assert.Contains($"control socket {socket}", TendRun.Str(info, "message"));
        run.Next("sleep", "started");
    }

    [Theory]
    [InlineData(StockImage, "/tmp/tend-1000/control.sock")]
    [InlineData(ReadOnlyRoot, "/run/tend/control.sock")]
    [InlineData(DockerReadOnly, "/dev/shm/tend-1000/control.sock")]
    public void As_uid_1000_the_socket_goes_where_it_can_be_made_and_status_health_restart_find_it(string mounts, string socket)
    {
        using var run = StartAsUser(mounts, "sleep 1000");
        Served(run, socket);
        Assert.DoesNotContain("control socket disabled", run.Stderr);
        Assert.False(PlainMessage.HasResourceKey(run.Stderr), run.Stderr);

        foreach (var uid in new[] { 1000, 0 })
        {
            var (code, output, err) = Exec(run, uid, "status");
            Assert.True(code == 0, $"tend status as uid {uid}: exit {code}\n{err}");
            Assert.Contains(output.Split('\n'), l => l.StartsWith("sleep ", StringComparison.Ordinal) && l.Contains(" running "));
            (code, output, err) = Exec(run, uid, "health");
            Assert.True(code == 0, $"tend health as uid {uid}: exit {code}\n{output}{err}");
        }
        var (rc, restarted, why) = Exec(run, 1000, "restart", "sleep");
        Assert.True(rc == 0, why);
        Assert.StartsWith("sleep: running (pid ", restarted);

        // Another user is refused by its credentials, in plain words.
        var (denied, _, text) = Exec(run, 1001, "status", "--control-socket", socket);
        Assert.Equal(1, denied);
        Assert.Contains("permission denied", text);
    }

    [Fact]
    public void A_socket_that_cannot_be_made_anywhere_is_one_plain_line_and_supervision_goes_on()
    {
        // Neither /run nor /tmp nor /dev/shm is writable: control is off, said in plain words for each place tried.
        using var run =
            StartAsUser("mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o ro tmpfs /tmp && mount -t tmpfs -o ro tmpfs /dev/shm",
            "sleep 1000");
        run.Next("sleep", "started"); // the line comes before supervision begins
        var message = Assert.Single(run.Events.Select(e => TendRun.Str(e, "message")), m => m?.StartsWith("control socket disabled",
            StringComparison.Ordinal) == true)!;
        Assert.Contains("cannot create the directory /run/tend: Permission denied", message);
        Assert.Contains("cannot create the directory /tmp/tend-1000: Read-only file system", message);
        Assert.Contains("cannot create the directory /dev/shm/tend-1000: Read-only file system", message);
        Assert.False(PlainMessage.HasResourceKey(run.Stderr), run.Stderr);
    }

    [Theory]
    [InlineData(1000, "ps")]
    [InlineData(0, "top")]
    [InlineData(0, "journal web")] // ("logs" is a verb since issue 27)
    [InlineData(0, "ps")]
    [InlineData(0, "logz web")]
    [InlineData(0, "sleep 1000")]
    [InlineData(1234, "ps")]
    [InlineData(1234, "sleep 1000")]
    public void A_word_that_is_no_verb_beside_a_running_Tend_starts_nothing_and_exits_2(int uid, string words)
    {
        using var run = StartAsUser(StockImage, "sleep 1000");
        Served(run, "/tmp/tend-1000/control.sock");
        var before = run.Descendants().Count;
        // "sleep 1000" is one command line (docker exec C tend "sleep 1000"); the others are words typed apart.
        var (code, output, err) = Exec(run, uid, words.StartsWith("sleep", StringComparison.Ordinal) ? [words] : words.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tend: error: ", line);
        Assert.Contains("nothing was started", line);
        Assert.Contains("--control-socket PATH", line);
        if (!words.StartsWith("sleep", StringComparison.Ordinal))
            Assert.Contains($"'{words.Split(' ')[0]}' is not a verb of tend (the verbs: status, start, stop", line);
        else Assert.Contains("a Tend already supervises this container (", line);
        Assert.Equal(before, run.Descendants().Count);
        Assert.Single(run.Events, e => TendRun.Str(e, "event") == "started");
    }

    [Theory]
    [InlineData("ps")]
    [InlineData("sleep 1000")]
    public void Another_uid_beside_a_root_Tend_starts_nothing_and_exits_2(string words)
    {
        // Tend as root with its socket in /run/tend (0600): uid 1234 can neither reach it nor read /proc/1/exe.
        using var run = TendRun.Start(["sleep 1000"], setup: $"{StockImage}\nunset TEND_CONTROL_SOCKET",
            binary: TendRun.ReachableBinary);
        Served(run, "/run/tend/control.sock");
        var (code, output, err) = Exec(run, 1234, words);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("a Tend already supervises this container (it is PID 1, as uid 0)", line);
        Assert.Contains("nothing was started", line);
        Assert.Single(run.Events, e => TendRun.Str(e, "event") == "started");
    }

    [Fact]
    public void Another_uid_asking_a_Tend_of_uid_1000_is_told_whose_it_is()
    {
        using var run = StartAsUser(StockImage, "sleep 1000");
        Served(run, "/tmp/tend-1000/control.sock");
        var (code, _, err) = Exec(run, 1001, "status");
        Assert.Equal(1, code);
        Assert.Equal("tend: error: a Tend runs in this container as uid 1000 (PID 1), and only root and uid 1000 may talk to it: " +
            "run as one of them (docker exec -u 1000 CONTAINER tend status …)\n", err);
    }
}
