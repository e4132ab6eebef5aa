using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tend.Templates.Tests;

/// <summary>
/// The container engine the image tests use, as a user has it: Docker when its daemon answers, else podman
/// (<c>TEND_CONTAINER_ENGINE</c> overrides; <c>scripts/container-engine.sh</c> installs and starts one). Everything
/// built or run here carries this run's label and a unique name, and is removed by the test that made it: the
/// image, its container, and the dangling build-stage images a multi-stage build leaves behind.
/// </summary>
internal static partial class Engine
{
    /// <summary>docker or podman.</summary>
    public static string Name { get; } = Detect();

    /// <summary>Labels everything this test run builds or runs (scripts/test.sh sweeps by it at the end).</summary>
    public static string RunId { get; } =
        Environment.GetEnvironmentVariable("TEND_TEST_RUN") is { Length: > 0 } r ? r
            : $"{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}";

    public static string Label => $"tend.test.run={RunId}";

    /// <summary>A unique image name for this run.</summary>
    public static string NewImage(string what) => $"localhost/tend-test-{what}:{RunId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A unique container name.</summary>
    public static string NewContainer(string what) => $"tend-{what}-{Guid.NewGuid():N}"[..40];

    private static string Detect()
    {
        if (Environment.GetEnvironmentVariable("TEND_CONTAINER_ENGINE") is { Length: > 0 } e) return e;
        if (Shell.Try("/", "sh", "-c",
            "command -v docker >/dev/null && docker version --format '{{.Server.Version}}'").Code == 0) return "docker";
        if (Shell.Try("/", "sh", "-c", "command -v podman >/dev/null && podman version").Code == 0) return "podman";
        Assert.Fail("no container engine answers (neither a Docker daemon nor podman): run `bash scripts/container-engine.sh`, which " +
            "installs and starts one (scripts/test.sh does)");
        return "";
    }

    /// <summary>Runs the engine; asserts exit code 0.</summary>
    public static string Run(params string[] args) => Shell.Run("/", Name, args);

    /// <summary>Runs the engine; returns its exit code and output.</summary>
    public static (int Code, string Output) Try(params string[] args) => Shell.Try("/", Name, args);

    /// <summary>
    /// Builds <paramref name="image"/> from <paramref name="context"/>; returns the exit code and output. The build's
    /// leftovers go at once, whether it succeeded or not: the intermediate containers (--force-rm) and every image it
    /// made that ended up without a name (a multi-stage build's build stage, ~2 GB here).
    /// </summary>
    public static (int Code, string Output) TryBuild(string context, string image, params string[] extra)
    {
        var result = TryBuildKeepingSteps(context, image, extra);
        RemoveUnnamedImages(result.Output);
        return result;
    }

    /// <summary>
    /// As <see cref="TryBuild"/>, but the step images stay (a second build of the same stages takes them from the
    /// cache): give the output to <see cref="RemoveUnnamedImages"/> once done.
    /// </summary>
    public static (int Code, string Output) TryBuildKeepingSteps(string context, string image, params string[] extra)
    {
        // podman: --format docker keeps the HEALTHCHECK (OCI images have none); --layers=false commits no image per step.
        string[] engineArgs = Name == "podman" ? ["--format", "docker", "--layers=false"] : [];
        return Shell.Try(context, Name, ["build", "--force-rm", "--label", Label, .. engineArgs, .. extra, "-t", image, "."]);
    }

    /// <summary>Builds; asserts success; returns the output.</summary>
    public static string Build(string context, string image, params string[] extra)
    {
        var (code, output) = TryBuild(context, image, extra);
        Assert.True(code == 0, $"{Name} build of {image} exited {code}:\n{output}");
        return output;
    }

    /// <summary>Removes the image and the container, if they exist.</summary>
    public static void Remove(string? container = null, string? image = null)
    {
        if (container is not null) Try("rm", "-f", container);
        if (image is not null) Try("rmi", "-f", image);
    }

    /// <summary>
    /// The ids a build printed for its steps (" ---> ID" from Docker's builder, "--> ID" from podman's), newest first,
    /// that have no name: removed without force, so an image another one still depends on, or a base image, stays.
    /// </summary>
    public static void RemoveUnnamedImages(string buildOutput)
    {
        var ids = StepImage().Matches(buildOutput).Select(m => m.Groups[1].Value).Distinct().Reverse();
        foreach (var id in ids)
        {
            var (code, tags) = Try("image", "inspect", "-f", "{{len .RepoTags}}", id);
            if (code == 0 && tags.Trim() == "0") Try("rmi", id);
        }
    }

    [GeneratedRegex(@"(?m)^\s*-{2,3}>\s+(?:Using cache\s+)?([0-9a-f]{10,64})\s*$")]
    private static partial Regex StepImage();

    /// <summary>
    /// Waits until the container's HEALTHCHECK reports <paramref name="healthy"/>. podman runs it on request
    /// (<c>podman healthcheck run</c>); Docker on its timer, which <see cref="HealthFlags"/> shortens.
    /// </summary>
    public static void WaitForHealth(string container, bool healthy, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        string last;
        while (true)
        {
            if (Name == "podman")
            {
                var (code, output) = Try("healthcheck", "run", container);
                if ((code == 0) == healthy) return;
                last = output;
            }
            else
            {
                last = Run("inspect", "-f", "{{.State.Health.Status}}", container).Trim();
                if (last == (healthy ? "healthy" : "unhealthy")) return;
            }
            Assert.True(sw.Elapsed.TotalSeconds < seconds,
                $"{container} did not become {(healthy ? "healthy" : "unhealthy")} within {seconds}s; last: {last}");
            Thread.Sleep(200); // a poll of the engine's CLI (a timeout above, not a bound on speed)
        }
    }

    /// <summary>For <c>run</c>: Docker checks health every half second, unhealthy after one failure (the image's own timer is 10s ×
    /// 3).</summary>
    public static string[] HealthFlags => Name == "docker" ? ["--health-interval", "500ms", "--health-retries", "1"] : [];
}
