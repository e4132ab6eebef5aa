using System.Diagnostics;
using System.Globalization;

namespace Tend.Templates.Tests;

/// <summary>
/// A fact that needs a real Docker engine and Compose (HEALTHCHECKs on their timer, <c>condition: service_healthy</c>):
/// skipped, saying why, only when there is none (<c>scripts/container-engine.sh</c> starts one; CI has it).
/// </summary>
public sealed class DockerComposeFactAttribute : FactAttribute
{
    public DockerComposeFactAttribute()
    {
        if (ExportComposeTests.Compose is null)
            Skip = "needs a Docker engine and docker-compose (or docker compose): bash scripts/container-engine.sh starts one";
    }
}

/// <summary>
/// The WebWorker sample's image exports its own Compose file (<c>docker run IMAGE export compose …</c>); brought up on a
/// real Docker engine, the worker starts once the API is healthy, the API answers, the worker calls it, and
/// <c>docker-compose down</c> stops both, each with exit code 0.
/// </summary>
[Collection(SharedSampleImages.Name)]
public sealed class ExportComposeTests(SampleImages images)
{
    /// <summary>The Compose command (docker-compose, else docker compose) when a Docker engine answers, else null.</summary>
    public static readonly string[]? Compose = FindCompose();

    private static string[]? FindCompose()
    {
        if (Environment.GetEnvironmentVariable("TEND_CONTAINER_ENGINE") is { Length: > 0 } e && e != "docker") return null;
        if (Shell.Try("/", "sh", "-c",
            "command -v docker >/dev/null && timeout 10 docker version --format '{{.Server.Version}}'").Code != 0) return null;
        if (Shell.Try("/", "sh", "-c",
            "command -v docker-compose >/dev/null && docker-compose version").Code == 0) return ["docker-compose"];
        if (Shell.Try("/", "docker", "compose", "version").Code == 0) return ["docker", "compose"];
        return null;
    }

    [DockerComposeFact]
    public void The_exported_compose_file_runs_WebWorker_with_the_worker_after_the_healthy_api()
    {
        var project = "tend-export-" + Guid.NewGuid().ToString("N")[..12];
        var dir = Directory.CreateTempSubdirectory("tend-export-");
        var files = new List<string>();
        string[] Args(params string[] args) => [.. Compose!.Skip(1), "-p", project, .. files.SelectMany(f => new[] { "-f", f }), .. args];
        try
        {
            var image = images.Of("WebWorker");
            // As a user does it: the image exports itself. The API's address is an option of the worker's (and the
            // scheduled report's); its port, one free here, is what the file publishes on the host's loopback.
            var port = Loopback.FreePort();
            var yaml = Shell.Stdout("docker", "run", "--rm", "--label", Engine.Label, "--name", Engine.NewContainer("export"), image,
                "export", "compose", "--image", image, "--web-port", $"{port}", "--worker-api", $"http://web:{port}", "--report-api",
                    $"http://web:{port}", "--worker-every", "200ms");
            Assert.Contains("condition: service_healthy", yaml);
            Assert.Contains($"ports: [\"127.0.0.1:{port}:{port}\"]", yaml);
            files.Add(Path.Combine(dir.FullName, "compose.yaml"));
            File.WriteAllText(files[0], yaml);
            // The test's own addition, beside the exported file: this run's label everywhere.
            files.Add(Path.Combine(dir.FullName, "test.yaml"));
            File.WriteAllText(files[1], $"""
                services:
                  web:
                    labels: {Label()}
                  worker:
                    labels: {Label()}
                  report:
                    labels: {Label()}
                networks:
                  default:
                    labels: {Label()}
                """);
            var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
            Run(Args("up", "-d"));

            var sw = Stopwatch.StartNew();
            string logs;
            while (!(logs = Run(Args("logs", "--no-color",
                "worker"))).Contains("worker: job 3: accepted job") && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
            Assert.Contains("worker: job 3: accepted job", logs);
            Assert.DoesNotContain("the API is not answering yet", logs);
            Assert.Contains("WebWorker API:", Loopback.HttpAll(port));

            // Order, from the engine's own events: web became healthy (tend health passed), then the worker started.
            // --until a second ahead: it is whole seconds, and events of the current second must not be cut off.
            var events = Run("docker", "events", "--since", since.ToString(CultureInfo.InvariantCulture),
                "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                "--filter", $"label=com.docker.compose.project={project}", "--filter", "type=container",
                "--format", "{{.TimeNano}} {{index .Actor.Attributes \"com.docker.compose.service\"}} {{.Status}}").Split('\n',
                    StringSplitOptions.RemoveEmptyEntries);
            long At(string service, string status) =>
                events.Select(l => l.Split(' ',
                    3)).Where(f => f.Length == 3 && f[1] == service && f[2] == status).Select(f => long.Parse(f[0],
                    CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Min();
            var healthy = At("web", "health_status: healthy");
            var started = At("worker", "start");
            Assert.True(healthy > 0 && started > healthy, $"the worker started before the API was healthy:\n{string.Join('\n', events)}");

            // Down: each container's Tend stops its service (its dependents, the worker and the report, before the API)
            // and exits 0, as the engine's die events say.
            since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
            Run(Args("down", "-t", "20"));
            var died = Run("docker", "events", "--since", since.ToString(CultureInfo.InvariantCulture),
                "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                "--filter", $"label=com.docker.compose.project={project}", "--filter", "type=container", "--filter", "event=die",
                "--format",
                    "{{index .Actor.Attributes \"com.docker.compose.service\"}} {{index .Actor.Attributes \"exitCode\"}}").Split('\n',
                    StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["report 0", "worker 0"], died.Take(2).Order());
            Assert.Equal(["web 0"], died.Skip(2));
        }
        finally
        {
            if (files.Count > 0) Shell.Try(dir.FullName, Compose![0], Args("down", "-v", "--remove-orphans", "-t", "1"));
            foreach (var id in Shell.Try("/", "docker", "ps", "-aq", "--filter",
                $"label=com.docker.compose.project={project}").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Shell.Try("/", "docker", "rm", "-f", id);
            Shell.Try("/", "docker", "network", "rm", project + "_default");
            dir.Delete(recursive: true);
        }
    }

    private static string Label() => $"{{tend.test.run: \"{Engine.RunId}\"}}";

    private static string Run(string[] args) => Shell.Run("/", Compose![0], args);

    private static string Run(string file, params string[] args) => Shell.Run("/", file, args);
}
