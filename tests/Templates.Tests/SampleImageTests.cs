using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>The ApacheSsh sample's image, built from the repository with the same Dockerfile.template.</summary>
public sealed class SampleImageTests : IDisposable
{
    private readonly string _image = $"localhost/tend-apachessh-test:{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";
    private readonly string _container = $"tend-apachessh-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];

    public void Dispose()
    {
        Shell.Try("/", "podman", "rm", "-f", _container);
        Shell.Try("/", "podman", "rmi", "-f", _image);
    }

    [Fact]
    public void A_port_override_on_docker_run_reaches_sshd()
    {
        Assert.True(Shell.Try("/", "podman", "--version").Code == 0, "podman is missing: run ../shared/containers/setup.sh (.ci/run does)");
        Shell.Run(Shell.RepoRoot, "podman", "build", "--format", "docker", "-f", "Dockerfile.template", "--build-arg", "PROJECT=samples/ApacheSsh", "-t", _image, ".");
        var port = Loopback.FreePort();
        Shell.Run("/", "podman", "run", "-d", "--name", _container, "-p", $"127.0.0.1:{port}:2222", _image, "--sshd-port", "2222");
        Assert.StartsWith("SSH-2.0-", Loopback.Banner(port, 20));
        var sw = Stopwatch.StartNew();
        Shell.Run("/", "podman", "stop", "-t", "10", _container);
        Assert.Equal("0", Shell.Run("/", "podman", "inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"podman stop took {sw.ElapsedMilliseconds} ms");
        Console.WriteLine("image size: " + Shell.Run("/", "podman", "images", "--format", "{{.Size}}", _image).Trim());
    }

    [Fact]
    public void WebWorker_serves_and_its_worker_calls_the_api_once_it_is_ready()
    {
        Assert.True(Shell.Try("/", "podman", "--version").Code == 0, "podman is missing: run ../shared/containers/setup.sh (.ci/run does)");
        Shell.Run(Shell.RepoRoot, "podman", "build", "--format", "docker", "-f", "Dockerfile.template", "--build-arg", "PROJECT=samples/WebWorker", "-t", _image, ".");
        var port = Loopback.FreePort();
        Shell.Run("/", "podman", "run", "-d", "--name", _container, "-p", $"127.0.0.1:{port}:8080", _image, "--worker-every", "200ms", "--log-format", "json");
        var sw = Stopwatch.StartNew();
        string logs;
        while (!(logs = Shell.Run("/", "podman", "logs", _container)).Contains("worker: job 3: accepted job") && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(200);
        Assert.Contains("worker: job 3: accepted job", logs);
        var started = logs.Split('\n').Where(l => l.Contains("\"event\":\"started\"")).ToList();
        Assert.True(started.FindIndex(l => l.Contains("\"service\":\"web\"")) < started.FindIndex(l => l.Contains("\"service\":\"worker\"")), "worker started before web");
        // web has a TCP readiness check: the worker starts once the API accepts, so its first call is answered.
        Assert.True(logs.IndexOf("\"service\":\"web\",\"event\":\"ready\"") is >= 0 and var ready && ready < logs.IndexOf("\"service\":\"worker\",\"event\":\"started\""), "worker started before web was ready");
        Assert.DoesNotContain("the API is not answering yet", logs);
        Assert.Contains("WebWorker API:", Loopback.HttpAll(port));
        Shell.Run("/", "podman", "stop", "-t", "10", _container);
        Assert.Equal("0", Shell.Run("/", "podman", "inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        logs = Shell.Run("/", "podman", "logs", _container);
        Assert.Contains("worker: stopped after", logs);
        // Reverse order: the worker (a dependent) stops before the API it depends on.
        Assert.True(logs.IndexOf("\"service\":\"worker\",\"event\":\"stopped\"") < logs.IndexOf("\"service\":\"web\",\"event\":\"stopped\""));
    }
}
