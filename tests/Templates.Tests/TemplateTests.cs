using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>From `dotnet new tend` to a running multi-service container, with real podman containers.</summary>
public sealed class TemplateTests(TemplateImage image) : IClassFixture<TemplateImage>, IDisposable
{
    private readonly string _container = $"tend-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];

    public void Dispose() => Shell.Try("/", "podman", "rm", "-f", _container);

    [Fact]
    public void The_image_runs_the_seed_flow_and_undoes_stops_by_hand_within_a_second()
    {
        var port = Loopback.FreePort();
        Shell.Run("/", "podman", "run", "-d", "--name", _container, "-p", $"127.0.0.1:{port}:80", image.Image,
            "--log-format", "json", "/usr/sbin/sshd", "/etc/init.d/apache2 start");
        Assert.StartsWith("HTTP/1.1 ", Loopback.Http(port, 20));
        var pid1 = int.Parse(Shell.Run("/", "podman", "inspect", "-f", "{{.State.Pid}}", _container).Trim());
        Assert.Contains(Shell.Descendants(pid1), p => p.Comm == "sshd");

        // The declared example services run too: the one-shot greeter, then the heartbeat.
        var logs = WaitForLogs(l => l.Contains("\"service\":\"heartbeat\",\"event\":\"started\""));
        Assert.Contains("hello, world", logs);

        // `service apache2 stop` from inside the container is undone within a second.
        Thread.Sleep(1100); // a healthy run: the restart is immediate rather than backed off
        var before = Shell.Descendants(pid1).Where(p => p.Cmdline.StartsWith("/usr/sbin/apache2")).Select(p => p.Pid).ToHashSet();
        Shell.Run("/", "podman", "exec", _container, "service", "apache2", "stop");
        var sw = Stopwatch.StartNew();
        while (!Shell.Descendants(pid1).Any(p => p.Cmdline.StartsWith("/usr/sbin/apache2") && !before.Contains(p.Pid)) && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(2);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"apache2 came back after {sw.ElapsedMilliseconds} ms");
        Assert.StartsWith("HTTP/1.1 ", Loopback.Http(port, 5));

        // kill -9 of sshd is undone within a second.
        var sshd = Shell.Descendants(pid1).First(p => p.Comm == "sshd").Pid;
        Assert.Equal(0, Shell.kill(sshd, 9));
        sw.Restart();
        while (!Shell.Descendants(pid1).Any(p => p.Comm == "sshd" && p.Pid != sshd) && sw.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(1);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"sshd came back after {sw.ElapsedMilliseconds} ms");

        // The entrypoint's memory, for the record.
        var rss = File.ReadLines($"/proc/{pid1}/status").First(l => l.StartsWith("VmRSS:"));
        Console.WriteLine($"entrypoint {rss}");

        // `podman stop -t 10`: every service stops, Tend exits 0, well inside the budget.
        sw.Restart();
        Shell.Run("/", "podman", "stop", "-t", "10", _container);
        var stopped = sw.Elapsed;
        Assert.Equal("0", Shell.Run("/", "podman", "inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        Assert.True(stopped < TimeSpan.FromSeconds(3), $"podman stop took {stopped.TotalMilliseconds} ms");
        var final = Shell.Run("/", "podman", "logs", _container);
        Assert.Contains("\"message\":\"exiting with code 0\"", final);
        Assert.Contains("\"service\":\"apache2\",\"event\":\"stopped\"", final);
        Assert.Contains("\"service\":\"sshd\",\"event\":\"stopped\"", final);
    }

    [Fact]
    public void Tend_status_and_stop_work_through_exec_and_the_healthcheck_follows_the_critical_service()
    {
        Shell.Run("/", "podman", "run", "-d", "--name", _container, image.Image);
        WaitForLogs(l => l.Contains("heartbeat: started"));
        Assert.Equal(0, Shell.Try("/", "podman", "healthcheck", "run", _container).Code);

        var status = Shell.Run("/", "podman", "exec", _container, "tend", "status");
        Assert.Contains(status.Split('\n'), l => l.StartsWith("heartbeat ") && l.Contains(" running "));
        Assert.Contains(status.Split('\n'), l => l.StartsWith("greeter ") && l.Contains(" completed "));

        Assert.Contains("heartbeat: stopped", Shell.Run("/", "podman", "exec", _container, "tend", "stop", "heartbeat"));
        var unhealthy = Shell.Try("/", "podman", "healthcheck", "run", _container);
        Assert.NotEqual(0, unhealthy.Code);
        Assert.Contains("unhealthy", unhealthy.Output);
        Assert.Equal(1, Shell.Try("/", "podman", "exec", _container, "tend", "health").Code);

        Assert.Contains("heartbeat: running", Shell.Run("/", "podman", "exec", _container, "tend", "start", "heartbeat"));
        Assert.Equal(0, Shell.Try("/", "podman", "healthcheck", "run", _container).Code);
        Shell.Run("/", "podman", "stop", "-t", "10", _container);
        Assert.Equal("0", Shell.Run("/", "podman", "inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
    }

    [Fact]
    public void A_typed_option_reaches_the_service_and_a_bad_value_exits_2()
    {
        var (code, output) = Shell.Try("/", "podman", "run", "--rm", "--name", _container, image.Image, "--heartbeat-interval", "soon");
        Assert.Equal(2, code);
        Assert.Contains("option '--heartbeat-interval' got 'soon': expected a duration", output);

        var (helpCode, help) = Shell.Try("/", "podman", "run", "--rm", image.Image, "--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("--greeter-name STRING", help);
        Assert.Contains("(default: 1s; env TEND_HEARTBEAT_INTERVAL)", help);

        Shell.Run("/", "podman", "run", "-d", "--name", _container, "-e", "TEND_GREETER_NAME=container", image.Image);
        Assert.Contains("hello, container", WaitForLogs(l => l.Contains("hello, container")));
        Shell.Run("/", "podman", "stop", "-t", "10", _container);
    }

    [Fact]
    public void A_wrong_template_parameter_is_a_clear_error()
    {
        var (code, output) = Shell.Try(image.Work, "dotnet", "new", "tend", "-n", "Bad", "-o", "Bad", "--HeartbeatSeconds", "often", "--debug:custom-hive", image.Hive);
        Assert.NotEqual(0, code);
        Assert.Contains("often", output);
        Assert.Contains("HeartbeatSeconds", output);
        Assert.False(Directory.Exists(Path.Combine(image.Work, "Bad")), "a half-made project was left behind");
    }

    [Fact]
    public void A_build_without_network_says_it_needs_the_network()
    {
        var tag = image.Image + "-offline";
        try
        {
            var (code, output) = Shell.Try(image.Project, "podman", "build", "--no-cache", "--network=none", "--format", "docker", "-t", tag, ".");
            Assert.NotEqual(0, code);
            Assert.Contains("this build needs network access", output);
        }
        finally { Shell.Try("/", "podman", "rmi", "-f", tag); }
    }

    private string WaitForLogs(Func<string, bool> ready)
    {
        var sw = Stopwatch.StartNew();
        string logs;
        while (!ready(logs = Shell.Run("/", "podman", "logs", _container)) && sw.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(100);
        Assert.True(ready(logs), $"the container never logged what the test waits for:\n{logs}");
        return logs;
    }
}
