using k8s;
using k8s.Models;

namespace Tend.Tests.Export;

/// <summary>
/// <c>IMAGE export …</c> on the samples' real binaries: snapshots of the files, Kubernetes manifests read back strictly
/// with the official models, options carried into each service's own container.
/// </summary>
public class ExportTests
{
    private const string Image = "registry.example/team/webworker:1.0";

    public static TheoryData<string, string, string[]> Exports => new()
    {
        { "webworker-compose", "WebWorker", ["export", "compose", "--image", Image, "--worker-api", "http://web:8080"] },
        { "webworker-compose-defaults", "WebWorker", ["export", "compose", "--image", Image] },
        { "webworker-kubernetes-pod", "WebWorker", ["export", "kubernetes", "--image", Image] },
        { "webworker-kubernetes-split", "WebWorker", ["export", "kubernetes", "--image", Image, "--layout", "split", "--worker-api", "http://web:8080"] },
        { "apachessh-compose", "ApacheSsh", ["export", "compose", "--image", "apachessh:2", "--sshd-port", "2222"] },
        { "apachessh-kubernetes-pod", "ApacheSsh", ["export", "kubernetes", "--image", "apachessh:2", "--sshd-port=2222"] },
        { "apachessh-kubernetes-split", "ApacheSsh", ["export", "kubernetes", "--image", "apachessh:2", "--layout", "split"] },
    };

    private static string Binary(string sample) => sample == "WebWorker" ? Exported.WebWorker : Exported.ApacheSsh;

    [Theory]
    [MemberData(nameof(Exports))]
    public void The_exported_files_are_the_verified_ones(string name, string sample, string[] args) =>
        Exported.Verify(name, Exported.Yaml(Binary(sample), args));

    [Theory]
    [MemberData(nameof(Exports))]
    public void Kubernetes_manifests_read_back_strictly_with_the_official_models(string name, string sample, string[] args)
    {
        if (!name.Contains("kubernetes")) return;
        // strict: a field the models do not know (a typo, a wrong level) throws.
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Binary(sample), args), strict: true);
        Assert.NotEmpty(objects);
        foreach (var o in objects)
        {
            var kube = Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o);
            Assert.False(string.IsNullOrEmpty(kube.Metadata.Name));
            var pod = o switch { V1Deployment d => d.Spec.Template.Spec, V1Job j => j.Spec.Template.Spec, _ => null };
            if (pod is null) continue;
            foreach (var c in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                Assert.Equal(name.StartsWith("webworker") ? Image : "apachessh:2", c.Image);
                Assert.NotEmpty(c.Args);
            }
        }
    }

    [Fact]
    public void The_WebWorker_api_is_a_native_sidecar_whose_startup_probe_is_its_readiness_check()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image, "--web-port", "9090"), strict: true);
        var deployment = Assert.IsType<V1Deployment>(Assert.Single(objects));
        var pod = deployment.Spec.Template.Spec;
        var web = Assert.Single(pod.InitContainers);
        Assert.Equal("web", web.Name);
        Assert.Equal("Always", web.RestartPolicy);
        Assert.Equal(["--orchestrated", "--only", "web", "--web-port", "9090"], web.Args);
        Assert.Equal("9090", web.StartupProbe.TcpSocket.Port.Value);
        Assert.Equal("9090", web.ReadinessProbe.TcpSocket.Port.Value);
        Assert.Equal(9090, Assert.Single(web.Ports).ContainerPort);
        var worker = Assert.Single(pod.Containers);
        Assert.Equal(["--orchestrated", "--only", "worker"], worker.Args);
        Assert.Null(worker.RestartPolicy);
        // Stops: the worker (regular container) first, then the sidecar; each Tend's stop timeout twice (the service,
        // then what is left in its container) plus 2 s: worker 3 s → 8, web 5 s → 12.
        Assert.Equal(20, pod.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void A_daemonizing_dependency_is_a_sidecar_probed_with_tend_health()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.ApacheSsh, "export", "kubernetes", "--image", "apachessh:2"), strict: true);
        var pod = Assert.IsType<V1Deployment>(Assert.Single(objects)).Spec.Template.Spec;
        var apache = Assert.Single(pod.InitContainers);
        Assert.Equal("apache2", apache.Name);
        Assert.Equal(["tend", "health"], apache.StartupProbe.Exec.Command);
        Assert.Equal("sshd", Assert.Single(pod.Containers).Name);
    }

    [Fact]
    public void The_split_layout_waits_for_a_dependency_through_its_service()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image, "--layout", "split", "--worker-api", "http://web:8080"), strict: true);
        Assert.Equal(["Deployment/webworker-web", "Service/web", "Deployment/webworker-worker"],
            objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => $"{o.Kind}/{o.Metadata.Name}"));
        var service = (V1Service)objects[1];
        Assert.Equal(8080, Assert.Single(service.Spec.Ports).Port);
        Assert.Equal("web", service.Spec.Selector["app.kubernetes.io/component"]);
        var worker = ((V1Deployment)objects[2]).Spec.Template.Spec;
        var wait = Assert.Single(worker.InitContainers);
        Assert.Equal(["wait-for", "tcp:web:8080"], wait.Args);
        Assert.Equal(["--orchestrated", "--only", "worker", "--worker-api", "http://web:8080"], Assert.Single(worker.Containers).Args);
    }

    [Fact]
    public void Dollars_reach_the_service_as_given_not_as_Compose_or_the_kubelet_would_expand_them()
    {
        var (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image, "--worker-api", "http://web/$HOME/${X}"], new Dictionary<string, string>());
        Assert.True(code == 0, err);
        Assert.Contains("http://web/$$HOME/$${X}", yaml);
        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image], new Dictionary<string, string> { ["TEND_WORKER_API"] = "http://web/$1" });
        Assert.True(code == 0, err);
        Assert.Contains("TEND_WORKER_API: \"http://web/$$1\"", yaml);
        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "kubernetes", "--image", Image, "--worker-api", "http://web/$(HOME)/$X"], new Dictionary<string, string>());
        Assert.True(code == 0, err);
        Assert.Contains("http://web/$$(HOME)/$X", yaml);
    }

    [Fact]
    public void Each_service_gets_its_own_options_from_the_command_line_and_the_environment()
    {
        var (code, yaml, err) = Exported.Run(Exported.WebWorker,
            ["export", "compose", "--image", Image, "--worker-every=1s", "--web-port", "9090", "--worker-api", "http://web:9090"],
            new Dictionary<string, string> { ["TEND_WEB_PORT"] = "7070", ["TEND_WORKER_EVERY"] = "5s", ["TEND_UNRELATED"] = "x" });
        Assert.True(code == 0, err);
        // The command line beats the environment, as in a run: TEND_WEB_PORT and TEND_WORKER_EVERY are not carried.
        Assert.Contains("command: [--orchestrated, --only, web, --web-port, \"9090\"]", yaml);
        Assert.Contains("command: [--orchestrated, --only, worker, --worker-every=1s, --worker-api, \"http://web:9090\"]", yaml);
        Assert.DoesNotContain("TEND_", yaml.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l + "\n"));
        Assert.Contains("expose: [\"9090\"]", yaml);

        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image], new Dictionary<string, string> { ["TEND_WEB_PORT"] = "7070" });
        Assert.True(code == 0, err);
        Assert.Contains("environment:\n      TEND_WEB_PORT: \"7070\"", yaml);
        Assert.Contains("expose: [\"7070\"]", yaml);
    }

    [Fact]
    public void Only_and_without_select_and_a_left_out_dependency_is_refused()
    {
        var yaml = Exported.Yaml(Exported.WebWorker, "export", "compose", "--image", Image, "--only", "web");
        Assert.Contains("  web:", yaml);
        Assert.DoesNotContain("  worker:", yaml);
        var (code, _, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image, "--without", "web"]);
        Assert.Equal(2, code);
        Assert.Contains("service 'worker' depends on 'web', which --only/--without leaves out of the export", err);
    }

    [Fact]
    public void Ad_hoc_command_lines_are_not_exported_and_export_says_so()
    {
        var (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image, "/usr/sbin/cron -f"]);
        Assert.Equal(0, code);
        Assert.Contains("the ad-hoc command line '/usr/sbin/cron -f' is not exported", err);
        Assert.Contains("# Not exported: the ad-hoc command line '/usr/sbin/cron -f'", yaml);
        Assert.DoesNotContain("cron", yaml.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l));
        // A program without declared services has nothing to export.
        (code, _, err) = Exported.Run(TendRun.Binary, ["export", "compose", "--image", Image, "sleep 1"]);
        Assert.Equal(2, code);
        Assert.Contains("this program declares no services, so there is nothing to export (ad-hoc command lines are not exported)", err);
    }

    [Theory]
    [InlineData(new[] { "export" }, "export needs a format")]
    [InlineData(new[] { "export", "swarm", "--image", "x" }, "export got 'swarm': expected compose or kubernetes")]
    [InlineData(new[] { "export", "compose" }, "export needs the image every service runs")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--layout", "pod" }, "option '--layout' is for export kubernetes")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--layout", "mesh" }, "option '--layout' got 'mesh': expected pod or split")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--web-port", "eighty" }, "option '--web-port' got 'eighty': expected an integer (int)")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--log-prefix" }, "option '--log-prefix' is Tend's own")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--web-prot", "1" }, "unknown option '--web-prot'; did you mean '--web-port'?")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--name", "Web_App" }, "option '--name' got 'Web_App'")]
    public void Bad_export_arguments_are_one_line_and_exit_2(string[] args, string message)
    {
        var (code, output, err) = Exported.Run(Exported.WebWorker, args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("registry.example:5000/team/web-app:1.0", "web-app")]
    [InlineData("localhost/webworker", "webworker")]
    [InlineData("My_App@sha256:abc", "my-app")]
    [InlineData("9lives:latest", "app-9lives")]
    public void The_app_name_is_the_image_repository_as_a_dns_label(string image, string name) =>
        Assert.Equal(name, Tend.Export.ExportRequest.AppNameOf(image));
}
