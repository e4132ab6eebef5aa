using k8s;
using k8s.Models;
using Tend.Export;

namespace Tend.Tests.Notify;

/// <summary>Export of a service ready by notify and watched by a watchdog: its readiness is asked of Tend inside (tend health), its
/// watchdog stays Tend's.</summary>
[Trait("Category", "Unit")]
public sealed class NotifyExportTests
{
    private static ExportPlan Plan() => new("registry.example/app:1", "app",
    [
        new ExportedService(new ServiceSpec("db", new Command("/usr/sbin/mariadbd", "--user=mysql"))
        {
            Ready = Readiness.Notify,
            Alive = Liveness.Watchdog(TimeSpan.FromSeconds(30)),
        }, [], []),
        new ExportedService(new ServiceSpec("web", new Command("/usr/sbin/apache2ctl", "-D", "FOREGROUND")) { DependsOn = ["db"] }, [], []),
    ], []);

    [Theory, InlineData("pod"), InlineData("split")]
    public void Kubernetes_asks_tend_health_for_notify_readiness_and_writes_no_liveness_probe_for_a_watchdog(string layout)
    {
        var yaml = KubernetesManifests.Write(Plan(), layout == "pod" ? KubernetesLayout.Pod : KubernetesLayout.Split, "app");
        var containers = KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1Deployment>()
            .SelectMany(d => (d.Spec.Template.Spec.InitContainers
                ?? []).Concat(d.Spec.Template.Spec.Containers)).Where(c => c.Name.EndsWith("db", StringComparison.Ordinal)).ToList();
        var db = Assert.Single(containers);
        var probe = db.ReadinessProbe ?? db.StartupProbe;
        Assert.NotNull(probe);
        Assert.Equal(["tend", "health"], probe.Exec.Command);
        Assert.Null(db.LivenessProbe);
    }

    [Fact]
    public void Compose_waits_for_a_notify_service_to_be_healthy()
    {
        var yaml = ComposeFile.Write(Plan(), "app");
        Assert.Contains("condition: service_healthy", yaml);
        Assert.Contains("tend", yaml);
    }
}
