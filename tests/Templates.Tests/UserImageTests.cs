using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>
/// The generic entrypoint's image (Dockerfile.template, samples/AdHoc: NativeAOT, as published) with a <c>USER 1000</c>
/// line, run as users run it: <c>docker exec C tend …</c> runs as the image's user and finds the control socket, the
/// HEALTHCHECK works, a read-only root filesystem with <c>--tmpfs /run</c> too; a word that is no verb starts nothing;
/// the services get exactly the open-file limits the container gave.
/// </summary>
public sealed class UserImageTests : IDisposable
{
    private readonly string _base = Engine.NewImage("adhoc");
    private readonly string _image = Engine.NewImage("user1000");
    private readonly string _container = Engine.NewContainer("user");
    private readonly string _context = Directory.CreateTempSubdirectory("tend-user-image-").FullName;

    public void Dispose()
    {
        Engine.Remove(_container, _image);
        Engine.Remove(image: _base);
        Directory.Delete(_context, recursive: true);
    }

    private void BuildUserImage()
    {
        Engine.Build(Shell.RepoRoot, _base, "-f", "Dockerfile.template", "--build-arg", "PROJECT=samples/AdHoc");
        File.WriteAllText(Path.Combine(_context, "Dockerfile"), $"FROM {_base}\nUSER 1000\n");
        Engine.Build(_context, _image);
    }

    private void RunAndCheckControl(params string[] runFlags)
    {
        Engine.Run(["run", "-d", "--name", _container, "--label", Engine.Label, .. Engine.HealthFlags, .. runFlags, _image,
            "sleep infinity"]);
        Engine.WaitForHealth(_container, healthy: true);
        Assert.Contains(" running ", Engine.Run("exec", _container, "tend", "status"));
        Assert.Equal("1000", Engine.Run("exec", _container, "id", "-u").Trim());
        Assert.StartsWith("sleep: running (pid ", Engine.Run("exec", _container, "tend", "restart", "sleep"));
        Assert.Contains(" running ", Engine.Run("exec", "-u", "root", _container, "tend", "status"));
        var (code, output) = Engine.Try("exec", _container, "tend", "ps");
        Assert.Equal(2, code);
        Assert.Contains("'ps' is not a verb of tend", output);
        // Root (docker exec -u 0: no CAP_SYS_PTRACE, /proc/1/exe unreadable) and another uid can reach no socket, yet
        // know a Tend supervises: a command line or a typo starts nothing, and a control verb names whose Tend it is.
        foreach (var user in new[] { "0", "1234" })
            foreach (var words in new[] { "sleep 1000", "ps" })
            {
                (code, output) = Engine.Try("exec", "-u", user, _container, "tend", words);
                Assert.True(code == 2, $"docker exec -u {user} tend '{words}': exit {code}\n{output}");
                Assert.Contains("a Tend already supervises this container (it is PID 1, as uid 1000)", output);
            }
        (code, output) = Engine.Try("exec", "-u", "1234", _container, "tend", "status");
        Assert.Equal(1, code);
        Assert.Contains("a Tend runs in this container as uid 1000 (PID 1), and only root and uid 1000 may talk to it", output);
        Assert.Single(Engine.Run("exec", _container, "tend", "status").Split('\n'), l => l.StartsWith("sleep ", StringComparison.Ordinal));
        var logs = Engine.Run("logs", _container);
        Assert.DoesNotContain("control socket disabled", logs);
        // Plain English only: a runtime resource key (UnauthorizedAccess_IODenied_Path…) has mixed case around a '_'.
        Assert.DoesNotMatch(@"\b[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b", logs);
        Engine.Run("stop", "-t", "10", _container);
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        Engine.Remove(container: _container);
    }

    [Fact]
    public void As_USER_1000_control_and_the_healthcheck_work_also_on_a_read_only_root_and_limits_pass_through()
    {
        BuildUserImage();
        RunAndCheckControl();
        RunAndCheckControl("--read-only", "--tmpfs", "/run");

        // The container's open-file limits, exactly, with and without --log-prefix (which raises Tend's own soft limit).
        foreach (var prefix in new[] { "--no-control", "--log-prefix" })
        {
            var (code, output) = Engine.Try("run", "--rm", "--label", Engine.Label, "--ulimit", "nofile=1024:4096", _image,
                prefix, "--restart", "never", "--critical", "sh -c 'echo limits $(ulimit -Sn) $(ulimit -Hn); exit 7'");
            Assert.Equal(7, code);
            Assert.Contains("limits 1024 4096", output);
        }
    }
}
