using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>
/// Podman's Kubernetes player as a second consumer of the pod layout. Podman 4.3 has no native sidecars (it refuses
/// an init container with probes), so the WebWorker image exports the pod with <c>--no-sidecars</c>: both services
/// regular containers, the worker's waiting on the pod's loopback for the API's readiness check (<c>tend wait-for
/// http://127.0.0.1:8080/ready -- tend</c>). Played with <c>podman kube play</c>, the worker starts once the API
/// answered and calls it; stopping the pod ends both containers with exit code 0.
/// </summary>
[Collection(SharedSampleImages.Name)]
public sealed class PodmanKubePlayTests(SampleImages images)
{
    [PodmanFact]
    public void The_exported_pod_runs_under_podman_kube_play()
    {
        var image = images.Of("WebWorker");
        var app = $"tend-pod-{Guid.NewGuid().ToString("N")[..8]}";
        var pod = $"{app}-pod-0"; // podman's name for a Deployment's pod
        var dir = Directory.CreateTempSubdirectory("tend-kube-");
        var file = Path.Combine(dir.FullName, "pod.yaml");
        var loaded = false;
        try
        {
            if (Engine.Name != "podman")
            {
                // The image was built by Docker: podman has a store of its own.
                Shell.Run("/", "sh", "-c", $"docker save '{image}' | podman load");
                loaded = true;
            }
            File.WriteAllText(file, Shell.Stdout("podman", "run", "--rm", image,
                "export", "kubernetes", "--image", image, "--name", app, "--no-sidecars", "--worker-every", "200ms"));
            Shell.Run("/", "podman", "kube", "play", file);

            var sw = Stopwatch.StartNew();
            string logs;
            while (!(logs = Shell.Run("/", "podman", "logs",
                $"{pod}-worker")).Contains("worker: job 3: accepted job") && sw.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
            var answered = logs.IndexOf("tend: http://127.0.0.1:8080/ready answers", StringComparison.Ordinal);
            Assert.True(answered >= 0 && logs.IndexOf("tend: worker: started", StringComparison.Ordinal) > answered,
                $"the worker did not start after web answered:\n{logs}");
            Assert.Contains("worker: job 3: accepted job", logs);
            Assert.DoesNotContain("the API is not answering yet", logs);

            // The pod stops as a kubelet stops one: SIGTERM to each Tend, which stops its service and exits 0.
            Shell.Run("/", "podman", "pod", "stop", "-t", "15", pod);
            foreach (var c in new[] { "web", "worker" })
                Assert.Equal("0", Shell.Run("/", "podman", "inspect", "-f", "{{.State.ExitCode}}", $"{pod}-{c}").Trim());
        }
        finally
        {
            Shell.Try("/", "podman", "kube", "down", file);
            Shell.Try("/", "podman", "pod", "rm", "-f", pod);
            if (loaded) Shell.Try("/", "podman", "rmi", "-f", image);
            dir.Delete(recursive: true);
        }
    }
}
