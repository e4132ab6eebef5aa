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
        { "webworker-kubernetes-split", "WebWorker", ["export", "kubernetes", "--image", Image, "--layout", "split", "--worker-api",
            "http://webworker-web:8080"] },
        { "webworker-kubernetes-split-hardened", "WebWorker", ["export", "kubernetes", "--image", Image, "--layout", "split", "--name",
            "shop", "--read-only", "--run-as-user", "1000", "--requests", "cpu=100m,memory=64Mi", "--limits", "web:memory=256Mi"] },
        { "webworker-swarm", "WebWorker", ["export", "compose", "--target", "swarm", "--image", Image, "--worker-api", "http://web:8080",
            "--report-api", "http://web:8080"] },
        { "apachessh-compose", "ApacheSsh", ["export", "compose", "--image", "apachessh:2", "--sshd-port", "2222"] },
        { "apachessh-kubernetes-pod", "ApacheSsh", ["export", "kubernetes", "--image", "apachessh:2", "--sshd-port=2222"] },
        { "webworker-kubernetes-pod-no-sidecars", "WebWorker", ["export", "kubernetes", "--image", Image, "--no-sidecars"] },
        { "apachessh-kubernetes-split", "ApacheSsh", ["export", "kubernetes", "--image", "apachessh:2", "--layout", "split"] },
        { "apachessh-swarm", "ApacheSsh", ["export", "compose", "--target", "swarm", "--image", "apachessh:2"] },
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
            var pod = o switch
            {
                V1Deployment d => d.Spec.Template.Spec,
                V1Job j => j.Spec.Template.Spec,
                V1CronJob c => c.Spec.JobTemplate.Spec.Template.Spec,
                _ => null,
            };
            if (pod is null) continue;
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            foreach (var c in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                Assert.Equal(name.StartsWith("webworker") ? Image : "apachessh:2", c.Image);
                Assert.NotEmpty(c.Args);
                Assert.False(c.SecurityContext.AllowPrivilegeEscalation);
                // juju/juju#21512: a liveness probe that asks the supervisor restarts pods for the supervisor's sake.
                Assert.DoesNotContain("health", c.LivenessProbe?.Exec?.Command ?? []);
            }
        }
    }

    [Fact]
    public void The_WebWorker_api_is_a_native_sidecar_whose_startup_probe_is_its_readiness_check()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image,
            "--web-port", "9090"), strict: true);
        var deployment = Assert.IsType<V1Deployment>(objects[0]);
        var pod = deployment.Spec.Template.Spec;
        var web = Assert.Single(pod.InitContainers);
        Assert.Equal("web", web.Name);
        Assert.Equal("Always", web.RestartPolicy);
        Assert.Equal(["--orchestrated", "--only", "web", "--web-port", "9090"], web.Args);
        Assert.Equal(("/ready", "9090"), (web.StartupProbe.HttpGet.Path, web.StartupProbe.HttpGet.Port.Value));
        Assert.Equal(("/ready", "9090"), (web.ReadinessProbe.HttpGet.Path, web.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(9090, Assert.Single(web.Ports).ContainerPort);
        var worker = Assert.Single(pod.Containers);
        Assert.Equal(["--orchestrated", "--only", "worker"], worker.Args);
        Assert.Null(worker.RestartPolicy);
        // Stops: the worker (regular container) first, then the sidecar; each Tend's stop timeout twice (the service,
        // then what is left in its container) plus 2 s: worker 3 s → 8, web 5 s → 12.
        Assert.Equal(20, pod.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void Without_sidecars_every_service_is_a_regular_container_and_a_dependent_waits_on_the_pods_loopback()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image,
            "--no-sidecars"), strict: true);
        var pod = objects.OfType<V1Deployment>().Single().Spec.Template.Spec;
        Assert.Null(pod.InitContainers);
        Assert.Equal(["web", "worker"], pod.Containers.Select(c => c.Name));
        var worker = pod.Containers[1];
        // The image's entrypoint is Tend: wait for web's readiness check on the pod's loopback, then become Tend.
        Assert.Equal(["tend", "wait-for", "http://127.0.0.1:8080/ready", "--", "tend"], worker.Command);
        Assert.Equal(["--orchestrated", "--only", "worker"], worker.Args);
        Assert.Null(pod.Containers[0].Command);
        Assert.Equal(12, pod.TerminationGracePeriodSeconds);
    }

    [Fact]
    public void A_daemonizing_dependency_is_a_sidecar_probed_with_tend_health()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.ApacheSsh, "export", "kubernetes", "--image", "apachessh:2"),
            strict: true);
        var pod = Assert.IsType<V1Deployment>(Assert.Single(objects)).Spec.Template.Spec;
        var apache = Assert.Single(pod.InitContainers);
        Assert.Equal("apache2", apache.Name);
        Assert.Equal(["tend", "health"], apache.StartupProbe.Exec.Command);
        Assert.Equal("sshd", Assert.Single(pod.Containers).Name);
    }

    [Fact]
    public void The_split_layout_wires_an_http_readiness_check_and_names_objects_after_the_app()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker,
            "export", "kubernetes", "--image", Image, "--layout", "split", "--name", "shop", "--worker-api", "http://shop-web:8080"),
                strict: true);
        Assert.Equal(["CronJob/shop-report", "Deployment/shop-web", "Service/shop-web", "Deployment/shop-worker"],
            objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => $"{o.Kind}/{o.Metadata.Name}"));
        var webDeployment = (V1Deployment)objects[1];
        var web = Assert.Single(webDeployment.Spec.Template.Spec.Containers);
        Assert.Equal(8080, Assert.Single(web.Ports).ContainerPort);
        Assert.Equal(("/ready", "8080"), (web.ReadinessProbe.HttpGet.Path, web.ReadinessProbe.HttpGet.Port.Value));
        var service = (V1Service)objects[2];
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal((8080, "8080"), (port.Port, port.TargetPort.Value));
        Assert.Equal("web", service.Spec.Selector["app.kubernetes.io/component"]);
        Assert.Equal("shop", service.Spec.Selector["app.kubernetes.io/name"]);
        // The Service selects exactly the web Deployment's pods.
        Assert.Equal(service.Spec.Selector, webDeployment.Spec.Template.Metadata.Labels);
        var worker = ((V1Deployment)objects[3]).Spec.Template.Spec;
        var wait = Assert.Single(worker.InitContainers);
        // The dependent waits for the same request as web's readiness check, through web's Service.
        Assert.Equal(["wait-for", "http://shop-web:8080/ready"], wait.Args);
        Assert.Equal(["--orchestrated", "--only", "worker", "--worker-api", "http://shop-web:8080"], Assert.Single(worker.Containers).Args);
    }

    [Fact]
    public void Two_apps_in_one_namespace_share_no_object_name()
    {
        string[] Names(string app) => [.. KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker,
                "export", "kubernetes", "--image", Image, "--layout", "split", "--name", app), strict: true)
            .Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => $"{o.Kind}/{o.Metadata.Name}")];
        Assert.Empty(Names("shop").Intersect(Names("blog")));
    }

    [Fact]
    public void A_declared_alive_check_is_the_liveness_probe_and_it_starts_once_the_service_is_ready()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image,
            "--layout", "split"), strict: true);
        var web = Assert.Single(objects.OfType<V1Deployment>().First(d =>
            d.Metadata.Name == "webworker-web").Spec.Template.Spec.Containers);
        var live = web.LivenessProbe;
        Assert.Equal(("/healthz", "8080"), (live.HttpGet.Path, live.HttpGet.Port.Value));
        // Liveness.Http's defaults: 10 s apart, 1 s each, 3 failures in a row.
        Assert.Equal((10, 1, 3), (live.PeriodSeconds, live.TimeoutSeconds, live.FailureThreshold));
        // Under Tend the liveness check starts once the service is ready: Kubernetes holds it back until the startup probe passed.
        Assert.Equal("/ready", web.StartupProbe.HttpGet.Path);
        // The worker declares none.
        Assert.Null(Assert.Single(objects.OfType<V1Deployment>().First(d =>
            d.Metadata.Name == "webworker-worker").Spec.Template.Spec.Containers).LivenessProbe);
    }

    [Theory]
    [InlineData("split")]
    [InlineData("pod")]
    public void A_scheduled_task_is_a_CronJob_that_runs_it_once_per_due_time(string layout)
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image,
            "--layout", layout), strict: true);
        var cron = Assert.Single(objects.OfType<V1CronJob>());
        Assert.Equal("webworker-report", cron.Metadata.Name);
        Assert.Equal("*/5 * * * *", cron.Spec.Schedule);
        Assert.Equal("Etc/UTC", cron.Spec.TimeZone);
        // As under Tend: never two runs at once, a failed run not retried.
        Assert.Equal("Forbid", cron.Spec.ConcurrencyPolicy);
        Assert.Equal(0, cron.Spec.JobTemplate.Spec.BackoffLimit);
        var pod = cron.Spec.JobTemplate.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        // --orchestrated leaves a declared schedule to the orchestrator: one run, then Tend exits with its code.
        Assert.Equal(["--orchestrated", "--only", "report"], Assert.Single(pod.Containers).Args);
        // It waits for the API it depends on: its Service in the split layout, the pod's in the pod layout.
        Assert.Equal(["wait-for", layout == "split" ? "http://webworker-web:8080/ready" : "http://webworker:8080/ready"],
            Assert.Single(pod.InitContainers).Args);
        // No container of a Deployment runs it.
        Assert.DoesNotContain(objects.OfType<V1Deployment>().SelectMany(d =>
            d.Spec.Template.Spec.Containers.Concat(d.Spec.Template.Spec.InitContainers ?? [])), c => c.Name == "report");
        if (layout == "pod")
        {
            var service = Assert.Single(objects.OfType<V1Service>());
            Assert.Equal("webworker", service.Metadata.Name);
            Assert.Equal(8080, Assert.Single(service.Spec.Ports).Port);
            // It selects the Deployment's pods, not the CronJob's.
            var deployment = Assert.Single(objects.OfType<V1Deployment>());
            Assert.True(service.Spec.Selector.All(l => deployment.Spec.Template.Metadata.Labels.TryGetValue(l.Key,
                out var v) && v == l.Value));
            var cronPod = cron.Spec.JobTemplate.Spec.Template.Metadata.Labels;
            Assert.False(service.Spec.Selector.All(l => cronPod.TryGetValue(l.Key, out var v) && v == l.Value));
        }
    }

    [Fact]
    public void The_schedule_is_read_in_the_time_zone_export_ran_in()
    {
        var (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "kubernetes", "--image", Image], new Dictionary<string,
            string> { ["TZ"] = "Europe/Paris" });
        Assert.True(code == 0, err);
        Assert.Equal("Europe/Paris", Assert.Single(KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1CronJob>()).Spec.TimeZone);
    }

    [Fact]
    public void Security_and_resource_settings_reach_every_container()
    {
        var objects = KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.WebWorker, "export", "kubernetes", "--image", Image,
            "--layout", "split",
            "--read-only", "--run-as-user", "1000", "--requests", "cpu=100m,memory=64Mi", "--limits", "web:memory=256Mi", "--requests",
                "web:cpu=250m"), strict: true);
        foreach (var d in objects.OfType<V1Deployment>())
        {
            var pod = d.Spec.Template.Spec;
            Assert.Equal((true, 1000L), (pod.SecurityContext.RunAsNonRoot!.Value, pod.SecurityContext.RunAsUser!.Value));
            Assert.Equal(["run", "tmp"], pod.Volumes.Select(v => v.Name));
            var c = Assert.Single(pod.Containers);
            Assert.True(c.SecurityContext.ReadOnlyRootFilesystem);
            Assert.Equal(["/run", "/tmp"], c.VolumeMounts.Select(m => m.MountPath));
            Assert.Equal(new ResourceQuantity("64Mi"), c.Resources.Requests["memory"]);
            // A service's own setting wins over the one for every container.
            Assert.Equal(new ResourceQuantity(c.Name == "web" ? "250m" : "100m"), c.Resources.Requests["cpu"]);
            if (c.Name == "web") Assert.Equal(new ResourceQuantity("256Mi"), c.Resources.Limits["memory"]);
            else Assert.Null(c.Resources.Limits);
        }
    }

    [Fact]
    public void The_compose_file_publishes_the_served_ports_on_the_hosts_loopback()
    {
        var yaml = Exported.Yaml(Exported.WebWorker, "export", "compose", "--image", Image, "--web-port", "9090");
        var web = Compose(yaml)["web"];
        Assert.Equal(["127.0.0.1:9090:9090"], ((List<object>)web["ports"]).Cast<string>());
        Assert.False(Compose(yaml)["worker"].ContainsKey("ports"));
    }

    [Fact]
    public void Compose_has_no_scheduler_so_Tend_schedules_the_task_in_its_container()
    {
        var report = Compose(Exported.Yaml(Exported.WebWorker, "export", "compose", "--image", Image))["report"];
        Assert.Equal(["--orchestrated", "--only", "report", "--schedule",
            "report=*/5 * * * *"], ((List<object>)report["command"]).Cast<string>());
        Assert.Equal("always", report["restart"]);
    }

    [Fact]
    public void The_swarm_target_has_deploy_sections_and_dependents_that_wait_inside_their_container()
    {
        var services = Compose(Exported.Yaml(Exported.WebWorker, "export", "compose", "--target", "swarm", "--image", Image, "--worker-api",
            "http://web:8080"));
        foreach (var (name, s) in services)
        {
            // docker stack deploy refuses depends_on with conditions and ignores restart.
            Assert.False(s.ContainsKey("depends_on") || s.ContainsKey("restart"), name);
            var deploy = (Dictionary<object, object>)s["deploy"];
            Assert.Equal("1", deploy["replicas"]);
            Assert.Equal("any", ((Dictionary<object, object>)deploy["restart_policy"])["condition"]);
            Assert.Equal("rollback", ((Dictionary<object, object>)deploy["update_config"])["failure_action"]);
        }
        // web has a readiness check: the new task is started (and healthy) before the old one stops.
        Assert.Equal("start-first", ((Dictionary<object, object>)((Dictionary<object,
            object>)services["web"]["deploy"])["update_config"])["order"]);
        Assert.Equal(["tend", "wait-for", "http://web:8080/ready", "--",
            "tend"], ((List<object>)services["worker"]["entrypoint"]).Cast<string>());
        Assert.False(services["web"].ContainsKey("entrypoint"));
        // The grace period covers the stop timeouts: web's 5 s twice and 2 s.
        Assert.Equal("12s", services["web"]["stop_grace_period"]);
    }

    private static Dictionary<string, Dictionary<object, object>> Compose(string yaml)
    {
        var root = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, Dictionary<string,
            Dictionary<object, object>>>>(yaml);
        return root["services"];
    }

    [Fact]
    public void Dollars_reach_the_service_as_given_not_as_Compose_or_the_kubelet_would_expand_them()
    {
        var (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image, "--worker-api",
            "http://web/$HOME/${X}"], new Dictionary<string, string>());
        Assert.True(code == 0, err);
        Assert.Contains("http://web/$$HOME/$${X}", yaml);
        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image], new Dictionary<string,
            string> { ["TEND_WORKER_API"] = "http://web/$1" });
        Assert.True(code == 0, err);
        Assert.Contains("TEND_WORKER_API: \"http://web/$$1\"", yaml);
        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "kubernetes", "--image", Image, "--worker-api",
            "http://web/$(HOME)/$X"], new Dictionary<string, string>());
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

        (code, yaml, err) = Exported.Run(Exported.WebWorker, ["export", "compose", "--image", Image], new Dictionary<string,
            string> { ["TEND_WEB_PORT"] = "7070" });
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
        Assert.Contains("depends on 'web', which --only/--without leaves out of the export", err);
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
    [InlineData(new[] { "export", "swarm", "--image", "x" },
        "export got 'swarm': expected compose or kubernetes (for Docker Swarm: export compose --target swarm)")]
    [InlineData(new[] { "export", "compose" }, "export needs the image every service runs")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--layout", "pod" }, "option '--layout' is for export kubernetes")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--layout", "mesh" },
        "option '--layout' got 'mesh': expected pod or split")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--web-port", "eighty" },
        "option '--web-port' got 'eighty': expected an integer (int)")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--log-prefix" }, "option '--log-prefix' is Tend's own")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--web-prot", "1" },
        "unknown option '--web-prot'; did you mean '--web-port'?")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--name", "Web_App" }, "option '--name' got 'Web_App'")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--target", "swarm" }, "option '--target' is for export compose")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--target", "nomad" },
        "option '--target' got 'nomad': expected compose or swarm")]
    [InlineData(new[] { "export", "compose", "--image", "x", "--read-only" }, "option '--read-only' is for export kubernetes")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--layout", "split", "--no-sidecars" },
        "option '--no-sidecars' is for --layout pod")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--run-as-user", "0" },
        "option '--run-as-user' got '0': expected a numeric user id other than 0")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--requests", "cpu=lots" },
        "option '--requests' got 'cpu=lots': expected [SERVICE:]cpu=QUANTITY")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--limits", "gpu=1" }, "option '--limits' got 'gpu=1'")]
    [InlineData(new[] { "export", "kubernetes", "--image", "x", "--limits", "db:memory=1Gi" },
        "option '--limits' names 'db', which is not an exported service")]
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
