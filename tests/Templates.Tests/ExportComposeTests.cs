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
public sealed class ExportComposeTests
{
    /// <summary>The Compose command (docker-compose, else docker compose) when a Docker engine answers, else null.</summary>
    public static readonly string[]? Compose = FindCompose();

    private static string[]? FindCompose()
    {
        if (Environment.GetEnvironmentVariable("TEND_CONTAINER_ENGINE") is { Length: > 0 } e && e != "docker") return null;
        if (Shell.Try("/", "sh", "-c", "command -v docker >/dev/null && timeout 10 docker version --format '{{.Server.Version}}'").Code != 0) return null;
        if (Shell.Try("/", "sh", "-c", "command -v docker-compose >/dev/null && docker-compose version").Code == 0) return ["docker-compose"];
        if (Shell.Try("/", "docker", "compose", "version").Code == 0) return ["docker", "compose"];
        return null;
    }

    [DockerComposeFact]
    public void The_exported_compose_file_runs_WebWorker_with_the_worker_after_the_healthy_api()
    {
        var image = Engine.NewImage("export");
        var project = "tend-export-" + Guid.NewGuid().ToString("N")[..12];
        var dir = Directory.CreateTempSubdirectory("tend-export-");
        var files = new List<string>();
        string[] Args(params string[] args) => [.. Compose!.Skip(1), "-p", project, .. files.SelectMany(f => new[] { "-f", f }), .. args];
        try
        {
            Engine.Build(Shell.RepoRoot, image, "-f", "Dockerfile.template", "--build-arg", "PROJECT=samples/WebWorker");
            // As a user does it: the image exports itself. The API's address is an option of the worker's.
            var yaml = Stdout("docker", "run", "--rm", "--label", Engine.Label, "--name", Engine.NewContainer("export"), image,
                "export", "compose", "--image", image, "--worker-api", "http://web:8080", "--worker-every", "200ms");
            Assert.Contains("condition: service_healthy", yaml);
            files.Add(Path.Combine(dir.FullName, "compose.yaml"));
            File.WriteAllText(files[0], yaml);
            // The test's own additions, beside the exported file: this run's label everywhere, and the API's port on 127.0.0.1.
            var port = Loopback.FreePort();
            files.Add(Path.Combine(dir.FullName, "test.yaml"));
            File.WriteAllText(files[1], $"""
                services:
                  web:
                    labels: {Label()}
                    ports: ["127.0.0.1:{port}:8080"]
                  worker:
                    labels: {Label()}
                networks:
                  default:
                    labels: {Label()}
                """);
            var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
            Run(Args("up", "-d"));

            var sw = Stopwatch.StartNew();
            string logs;
            while (!(logs = Run(Args("logs", "--no-color", "worker"))).Contains("worker: job 3: accepted job") && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
            Assert.Contains("worker: job 3: accepted job", logs);
            Assert.DoesNotContain("the API is not answering yet", logs);
            Assert.Contains("WebWorker API:", Loopback.HttpAll(port));

            // Order, from the engine's own events: web became healthy (tend health passed), then the worker started.
            // --until a second ahead: it is whole seconds, and events of the current second must not be cut off.
            var events = Run("docker", "events", "--since", since.ToString(CultureInfo.InvariantCulture), "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                "--filter", $"label=com.docker.compose.project={project}", "--filter", "type=container",
                "--format", "{{.TimeNano}} {{index .Actor.Attributes \"com.docker.compose.service\"}} {{.Status}}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            long At(string service, string status) =>
                events.Select(l => l.Split(' ', 3)).Where(f => f.Length == 3 && f[1] == service && f[2] == status).Select(f => long.Parse(f[0], CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Min();
            var healthy = At("web", "health_status: healthy");
            var started = At("worker", "start");
            Assert.True(healthy > 0 && started > healthy, $"the worker started before the API was healthy:\n{string.Join('\n', events)}");

            // Down: each container's Tend stops its service (the worker first) and exits 0, as the engine's die events say.
            since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
            Run(Args("down", "-t", "20"));
            var died = Run("docker", "events", "--since", since.ToString(CultureInfo.InvariantCulture), "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                "--filter", $"label=com.docker.compose.project={project}", "--filter", "type=container", "--filter", "event=die",
                "--format", "{{index .Actor.Attributes \"com.docker.compose.service\"}} {{index .Actor.Attributes \"exitCode\"}}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["worker 0", "web 0"], died);
        }
        finally
        {
            if (files.Count > 0) Shell.Try(dir.FullName, Compose![0], Args("down", "-v", "--remove-orphans", "-t", "1"));
            foreach (var id in Shell.Try("/", "docker", "ps", "-aq", "--filter", $"label=com.docker.compose.project={project}").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Shell.Try("/", "docker", "rm", "-f", id);
            Shell.Try("/", "docker", "network", "rm", project + "_default");
            Engine.Remove(image: image);
            dir.Delete(recursive: true);
        }
    }

    private static string Label() => $"{{tend.test.run: \"{Engine.RunId}\"}}";

    private static string Run(string[] args) => Shell.Run("/", Compose![0], args);

    private static string Run(string file, params string[] args) => Shell.Run("/", file, args);

    /// <summary>Runs a program; returns its stdout alone (a file's text), asserting exit code 0.</summary>
    private static string Stdout(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"{file} {string.Join(' ', args)} hung");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}");
        return output;
    }
}
