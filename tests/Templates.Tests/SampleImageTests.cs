using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>The samples' images, built from the repository with the same Dockerfile.template (Docker, else podman).</summary>
[Collection(SharedSampleImages.Name)]
public sealed class SampleImageTests(SampleImages images) : IDisposable
{
    private readonly string _container = Engine.NewContainer("sample");

    public void Dispose() => Engine.Remove(_container);

    [Fact]
    public void A_port_override_on_docker_run_reaches_sshd()
    {
        var image = images.Of("ApacheSsh");
        var port = Loopback.FreePort();
        Engine.Run("run", "-d", "--name", _container, "--label", Engine.Label, "-p", $"127.0.0.1:{port}:2222", image, "--sshd-port",
            "2222");
        Assert.StartsWith("SSH-2.0-", Loopback.Banner(port, 20));
        var sw = Stopwatch.StartNew();
        Engine.Run("stop", "-t", "10", _container);
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"{Engine.Name} stop took {sw.ElapsedMilliseconds} ms");
        Console.WriteLine("image size: " + Engine.Run("images", "--format", "{{.Size}}", image).Trim());
    }

    [Fact]
    public void WebWorker_serves_and_its_worker_calls_the_api_once_it_is_ready()
    {
        var port = Loopback.FreePort();
        Engine.Run("run", "-d", "--name", _container, "--label", Engine.Label, "-p", $"127.0.0.1:{port}:8080", images.Of("WebWorker"),
            "--worker-every", "200ms", "--log-format", "json");
        var sw = Stopwatch.StartNew();
        string logs;
        // The worker's lines (stdout) and Tend's events (stderr) reach the logs through two pipes: wait for both.
        static bool Both(string l) => l.Contains("worker: job 3: accepted job")
            && l.Contains("\"service\":\"worker\",\"event\":\"started\"");
        while (!Both(logs = Engine.Run("logs", _container)) && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(200);
        Assert.True(Both(logs), logs);
        var started = logs.Split('\n').Where(l => l.Contains("\"event\":\"started\"")).ToList();
        Assert.True(started.FindIndex(l => l.Contains("\"service\":\"web\"")) < started.FindIndex(l =>
            l.Contains("\"service\":\"worker\"")), "worker started before web");
        // web has an HTTP readiness check: the worker starts once the API answers GET /ready, so its first call is answered.
        Assert.True(logs.IndexOf("\"service\":\"web\",\"event\":\"ready\"") is >= 0 and var ready
            && ready < logs.IndexOf("\"service\":\"worker\",\"event\":\"started\""), "worker started before web was ready");
        Assert.DoesNotContain("the API is not answering yet", logs);
        Assert.Contains("WebWorker API:", Loopback.HttpAll(port));
        Engine.Run("stop", "-t", "10", _container);
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        logs = Engine.Run("logs", _container);
        Assert.Contains("worker: stopped after", logs);
        // Reverse order: the worker (a dependent) stops before the API it depends on.
        Assert.True(logs.IndexOf("\"service\":\"worker\",\"event\":\"stopped\"") <
            logs.IndexOf("\"service\":\"web\",\"event\":\"stopped\""));
    }
}
