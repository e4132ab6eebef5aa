using k8s;
using k8s.Models;

namespace Tend.Tests.Export;

/// <summary>
/// With Tend's HTTP endpoint on (<c>export kubernetes --http PORT</c>), the probes that asked Tend (<c>exec tend health</c>)
/// become httpGet on <c>/healthz/NAME</c>: the kubelet forks nothing in the container, and still tests the service itself.
/// Read back strictly with the official models.
/// </summary>
public class HttpProbeExportTests
{
    private static IList<object> Manifests(params string[] args) =>
        KubernetesYaml.LoadAllFromString(Exported.Yaml(Exported.ApacheSsh, ["export", "kubernetes", "--image", "apachessh:2", .. args]),
            strict: true);

    private static string? HttpArgument(V1Container c) => c.Args.SkipWhile(a => a != "--http").Skip(1).FirstOrDefault();

    [Fact]
    public void In_one_pod_each_container_serves_its_own_port_and_the_probes_get_healthz_name()
    {
        var pod = Assert.IsType<V1Deployment>(Assert.Single(Manifests("--http", "9100"))).Spec.Template.Spec;
        var apache = Assert.Single(pod.InitContainers);
        var sshd = Assert.Single(pod.Containers);
        foreach (var c in new[] { apache, sshd })
            foreach (var probe in new[] { c.StartupProbe, c.ReadinessProbe }.Where(p => p is not null))
                Assert.Null(probe.Exec);
        Assert.Equal(("/healthz/apache2", HttpArgument(apache)![^4..]), (apache.StartupProbe.HttpGet.Path,
            apache.StartupProbe.HttpGet.Port.Value));
        Assert.Equal("/healthz/apache2", apache.ReadinessProbe.HttpGet.Path);
        // The pod's containers share one network: two endpoints, two ports.
        Assert.NotEqual(HttpArgument(apache), HttpArgument(sshd));
        Assert.StartsWith("0.0.0.0:91", HttpArgument(apache));
        Assert.StartsWith("0.0.0.0:91", HttpArgument(sshd));
    }

    [Fact]
    public void In_the_split_layout_every_pod_serves_the_port_given()
    {
        var deployments = Manifests("--layout", "split", "--http", "9100").OfType<V1Deployment>().ToList();
        Assert.NotEmpty(deployments);
        foreach (var d in deployments)
            Assert.Equal("0.0.0.0:9100", HttpArgument(Assert.Single(d.Spec.Template.Spec.Containers)));
        var apache = deployments.Single(d => d.Metadata.Name.EndsWith("apache2",
            StringComparison.Ordinal)).Spec.Template.Spec.Containers[0];
        Assert.Equal(("/healthz/apache2", "9100"), (apache.ReadinessProbe.HttpGet.Path, apache.ReadinessProbe.HttpGet.Port.Value));
    }

    [Fact]
    public void Without_http_the_probe_still_asks_tend_health_and_a_bad_port_is_refused()
    {
        var pod = Assert.IsType<V1Deployment>(Assert.Single(Manifests())).Spec.Template.Spec;
        Assert.Equal(["tend", "health"], Assert.Single(pod.InitContainers).StartupProbe.Exec.Command);
        Assert.DoesNotContain("--http", pod.Containers.SelectMany(c => c.Args));
        var (code, _, err) = Exported.Run(Exported.ApacheSsh, ["export", "kubernetes", "--image", "apachessh:2", "--http", "0"]);
        Assert.Equal(2, code);
        Assert.Contains("option '--http' got '0'", err);
        (code, _, err) = Exported.Run(Exported.ApacheSsh, ["export", "compose", "--image", "apachessh:2", "--http", "9100"]);
        Assert.Equal(2, code);
        Assert.Contains("is for export kubernetes", err);
    }
}
