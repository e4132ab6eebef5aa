using System.Diagnostics;
using System.Globalization;

namespace Tend.Templates.Tests;

/// <summary>
/// The samples' images export their own stack files (<c>export compose --target swarm</c>), deployed as they stand
/// with <c>docker stack deploy</c> on a real single-node Swarm (<c>docker swarm init --advertise-addr 127.0.0.1</c>,
/// overlay network included): every service running and healthy, the worker started only once the API answered
/// its readiness check across the overlay network, a killed task replaced by Swarm (Tend does not restart it inside),
/// a service scaled to three replicas, and <c>docker stack rm</c> ending every task with exit code 0 within its grace
/// period. The swarm is left as it was found: left only when this test made it.
/// </summary>
[Collection(SharedSampleImages.Name)]
public sealed class SwarmStackTests(SampleImages images)
{
    /// <summary>Whether a Docker engine answers (and the tests were not told to use another engine).</summary>
    public static readonly bool HasDockerEngine =
        Environment.GetEnvironmentVariable("TEND_CONTAINER_ENGINE") is not { Length: > 0 } e || e == "docker"
            ? Shell.Try("/", "sh", "-c",
                "command -v docker >/dev/null && timeout 10 docker version --format '{{.Server.Version}}'").Code == 0
            : false;

    [DockerEngineFact]
    public void ApacheSsh_and_WebWorker_run_as_Swarm_stacks_exported_by_their_images()
    {
        var state = Run("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").Trim();
        Assert.True(state is "active" or "inactive",
            $"this engine's swarm is '{state}': this test needs one it can use (active) or make (inactive)");
        var created = state == "inactive";
        if (created) Run("docker", "swarm", "init", "--advertise-addr", "127.0.0.1");
        var id = Guid.NewGuid().ToString("N")[..8];
        var web = $"tend-ww-{id}";
        var ssh = $"tend-as-{id}";
        var dir = Directory.CreateTempSubdirectory("tend-swarm-");
        try
        {
            var webImage = images.Of("WebWorker");
            var sshImage = images.Of("ApacheSsh");
            Deploy(dir, web, webImage, ["web", "worker", "report"], "--worker-api", "http://web:8080", "--report-api", "http://web:8080",
                "--worker-every", "200ms");
            Deploy(dir, ssh, sshImage, ["apache2", "sshd"]);
            WaitUntilHealthy(web, 3);
            WaitUntilHealthy(ssh, 2);

            // The worker's container waited for the API's readiness check (GET /ready across the overlay network, by
            // service name) before it became Tend and started the worker; so its first call was answered.
            string logs = "";
            var sw = Stopwatch.StartNew();
            while (!(logs = Run("docker", "service", "logs", "--raw",
                $"{web}_worker")).Contains("worker: job 3: accepted job") && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
            var answered = logs.IndexOf("tend: http://web:8080/ready answers", StringComparison.Ordinal);
            var started = logs.IndexOf("tend: worker: started", StringComparison.Ordinal);
            Assert.True(answered >= 0 && started > answered, $"the worker did not start after web answered:\n{logs}");
            Assert.Contains("worker: job 3: accepted job", logs);
            Assert.DoesNotContain("the API is not answering yet", logs);

            // The API's own process dies: Tend (--orchestrated) does not restart it but exits with its code, and Swarm
            // replaces the task with a new container.
            var old = Containers(web, "web").Single();
            Run("docker", "exec", old, "sh", "-c", "kill -KILL $(cat /proc/1/task/*/children)");
            var replacement = WaitForReplacement(web, "web", old);
            Assert.Contains("non-zero exit (137)", Run("docker", "service", "ps", "--no-trunc", "--format", "{{.Error}}", $"{web}_web"));
            Assert.Single(Run("docker", "logs", old).Split('\n'), l => l.Contains("web: started"));
            // docker kill (Tend itself, SIGKILL): the same, the task is Swarm's to replace.
            var sshd = Containers(ssh, "sshd").Single();
            Run("docker", "kill", sshd);
            WaitForReplacement(ssh, "sshd", sshd);

            Run("docker", "service", "scale", "--detach=false", $"{web}_web=3");
            WaitUntilHealthy(web, 5);
            Assert.Equal(3, Containers(web, "web").Count);
            Assert.Contains(replacement, Containers(web, "web"));

            // docker stack rm: every task's Tend stops its service and exits 0 within its stop_grace_period (the exported
            // file's: Tend's stop timeout twice, then 2 s). The grace period is Swarm's contract, and exit code 0 proves it
            // was kept: a task still running at its end is SIGKILLed (137). The seconds are printed, not bounded (they
            // include Swarm's own latency on a loaded machine).
            var since = DateTimeOffset.UtcNow;
            // Swarm removes the services first and then the network, while their tasks may still be stopping: "network … is in
            // use by task" is Docker's own race (moby/moby#32620), settled by WaitUntilGone, which asks again.
            var (rm, rmOutput) = Shell.Try("/", "docker", "stack", "rm", web, ssh);
            Assert.True(rm == 0 || rmOutput.Split('\n').Where(l => l.StartsWith("Failed", StringComparison.Ordinal)).All(l =>
                l.Contains("is in use by task", StringComparison.Ordinal)), rmOutput);
            var grace = new Dictionary<string, double> { ["web"] = 12, ["worker"] = 8, ["report"] = 12, ["apache2"] = 12, ["sshd"] = 12 };
            var died = new List<(string Service, string Code, double Seconds)>();
            sw.Restart();
            while (died.Count < 7 && sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(500); // a poll of the docker CLI (each call costs more than this interval)
                died = Died(since, web, ssh);
            }
            Assert.True(died.Count == 7, $"expected 7 tasks to end (web ×3, worker, report, apache2, sshd): {string.Join(", ", died)}");
            foreach (var (service, code, seconds) in died)
            {
                Console.WriteLine($"{service} ended {seconds:F1} s after docker stack rm (grace {grace[service]} s)");
                Assert.True(code == "0", $"{service} exited {code} ({seconds:F1} s after docker stack rm; grace {grace[service]} s)");
            }
        }
        finally
        {
            Shell.Try("/", "docker", "stack", "rm", web, ssh);
            WaitUntilGone(web, ssh);
            if (created) Shell.Try("/", "docker", "swarm", "leave", "--force");
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Exports the image's stack file and deploys it, with the test's own file beside it: this run's label on every
    /// container and network; and, on a kernel without IPVS (no /proc/net/ip_vs: this VM's), DNS round-robin instead
    /// of Swarm's virtual IP, which needs IPVS to forward anything (a Docker host's kernel has it).
    /// </summary>
    private static void Deploy(DirectoryInfo dir, string stack, string image, string[] services, params string[] options)
    {
        var yaml = Shell.Stdout("docker", ["run", "--rm", "--label", Engine.Label, "--name", Engine.NewContainer("export"), image,
            "export", "compose", "--target", "swarm", "--image", image, .. options]);
        var file = Path.Combine(dir.FullName, stack + ".yaml");
        File.WriteAllText(file, yaml);
        var endpoint = File.Exists("/proc/net/ip_vs") ? "" : ", deploy: {endpoint_mode: dnsrr}";
        var test = Path.Combine(dir.FullName, stack + ".test.yaml");
        File.WriteAllText(test,
            "services:\n" + string.Concat(services.Select(s => $"  {s}: {{labels: {{tend.test.run: \"{Engine.RunId}\"}}{endpoint}}}\n")) +
            $"networks:\n  default:\n    labels: {{tend.test.run: \"{Engine.RunId}\"}}\n");
        Run("docker", "stack", "deploy", "--detach=true", "-c", file, "-c", test, stack);
    }

    /// <summary>The running containers of one service of the stack.</summary>
    private static List<string> Containers(string stack, string service) =>
        [.. Run("docker", "ps", "-q", "--no-trunc", "--filter", $"label=com.docker.swarm.service.name={stack}_{service}").Split('\n',
            StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Waits until the stack runs <paramref name="count"/> containers, each healthy (its HEALTHCHECK: tend health).</summary>
    private static void WaitUntilHealthy(string stack, int count)
    {
        var sw = Stopwatch.StartNew();
        string status;
        while (true)
        {
            status = Run("docker", "ps", "--filter", $"label=com.docker.stack.namespace={stack}", "--format", "{{.Names}} {{.Status}}");
            var lines = status.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == count && lines.All(l => l.EndsWith("(healthy)", StringComparison.Ordinal))) return;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(120), $"{stack} did not run {count} healthy containers within 120 s:\n{status}");
            Thread.Sleep(500); // a poll of the docker CLI
        }
    }

    /// <summary>Waits until Swarm runs a new, healthy container for the service in place of <paramref name="old"/>; returns it.</summary>
    private static string WaitForReplacement(string stack, string service, string old)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var now = Containers(stack, service);
            if (now.Count == 1 && now[0] != old && Run("docker", "inspect", "-f", "{{.State.Health.Status}}",
                now[0]).Trim() == "healthy") return now[0];
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90), $"Swarm did not replace {stack}_{service}'s task within 90 s");
            Thread.Sleep(500); // a poll of the docker CLI
        }
    }

    /// <summary>The engine's die events since <paramref name="since"/> for the stacks' containers: service, exit code, seconds after
    /// <paramref name="since"/>.</summary>
    private static List<(string Service, string Code, double Seconds)> Died(DateTimeOffset since, params string[] stacks)
    {
        var result = new List<(string, string, double)>();
        foreach (var stack in stacks)
        {
            var lines = Run("docker", "events", "--since", (since.ToUnixTimeSeconds() - 1).ToString(CultureInfo.InvariantCulture),
                "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                "--filter", $"label=com.docker.stack.namespace={stack}", "--filter", "type=container", "--filter", "event=die",
                "--format",
                    "{{.TimeNano}} {{index .Actor.Attributes \"com.docker.swarm.service.name\"}} {{index .Actor.Attributes \"exitCode\"}}");
            foreach (var f in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')))
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[0], CultureInfo.InvariantCulture) / 1_000_000);
                if (at < since) continue; // the killed tasks, before the rm
                result.Add((f[1][(stack.Length + 1)..], f[2], (at - since).TotalSeconds));
            }
        }
        return result;
    }

    /// <summary>After <c>docker stack rm</c>, Swarm removes the tasks and the network in the background: wait (bounded) so nothing is
    /// left.</summary>
    private static void WaitUntilGone(params string[] stacks)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            var left = stacks.Sum(s =>
                Shell.Try("/", "docker", "ps", "-aq", "--filter", $"label=com.docker.stack.namespace={s}").Output.Trim().Length +
                Shell.Try("/", "docker", "network", "ls", "-q", "--filter", $"label=com.docker.stack.namespace={s}").Output.Trim().Length);
            if (left == 0) return;
            Thread.Sleep(500); // a poll of the docker CLI
            if (sw.Elapsed > TimeSpan.FromSeconds(5)) Shell.Try("/", "docker", ["stack", "rm", .. stacks]); // a network left in use
        }
    }

    private static string Run(string file, params string[] args) => Shell.Run("/", file, args);
}
