using System.Globalization;
using Tend.Arguments;

namespace Tend.Export;

/// <summary>How the services are laid out on Kubernetes.</summary>
public enum KubernetesLayout
{
    /// <summary>One Deployment whose pod holds a container per service; dependencies are native sidecars.</summary>
    Pod,
    /// <summary>A Deployment (and a Service per TCP readiness port) per long-running service, a Job per one-shot.</summary>
    Split,
}

/// <summary>Kubernetes manifests (apps/v1 Deployments, batch/v1 Jobs, v1 Services) for the exported services.</summary>
internal static class KubernetesManifests
{
    /// <summary>
    /// A value the kubelet must pass as it is: it expands <c>$(VAR)</c> in <c>args</c> and <c>env</c> values, and writes
    /// a literal <c>$(</c> as <c>$$(</c> (Kubernetes API reference, Container.args and EnvVar.value).
    /// </summary>
    internal static string Literal(string value) => value.Replace("$(", "$$(", StringComparison.Ordinal);

    /// <summary>A startup probe's period; with <see cref="StartupAttempts"/>, how long a dependency may take to get ready (5 minutes).</summary>
    private const int StartupPeriodSeconds = 1;

    private const int StartupAttempts = 300;

    private const int ReadinessPeriodSeconds = 5;

    private const string NameLabel = "app.kubernetes.io/name";
    private const string ComponentLabel = "app.kubernetes.io/component";

    public static string Write(ExportPlan plan, KubernetesLayout layout, string command)
    {
        var header = plan.Header($"Kubernetes manifests ({(layout == KubernetesLayout.Pod ? "one pod" : "a pod per service")})", command).Concat(layout == KubernetesLayout.Pod
            ?
            [
                "One pod: the services share its network, so 127.0.0.1 still reaches another service. Services others",
                "depend on are native sidecars (init containers with restartPolicy: Always, Kubernetes 1.29 or later): the",
                "next starts once a sidecar's startupProbe (its readiness check) passed. One-shot tasks are init containers.",
            ]
            :
            [
                "A pod per service: one reaches another through its Service, by the service's name (NAME:PORT, not",
                "127.0.0.1:PORT); options that hold such addresses must be given to export (or set with TEND_* variables).",
                "A dependency with a TCP readiness check is waited for by an init container running `tend wait-for`.",
            ]).Concat(
            [
                "Stop signals: the kubelet sends the image's STOPSIGNAL (SIGTERM for Tend's images) to Tend, which sends",
                "each service its own stop signal (lifecycle.stopSignal is still alpha).",
            ]);
        var docs = layout == KubernetesLayout.Pod ? [Pod(plan)] : Split(plan);
        return YamlText.Write(docs, header);
    }

    private static YamlMap Pod(ExportPlan plan)
    {
        var order = plan.InDependencyOrder();
        bool Sidecar(ExportedService s) => s.LongRunning && plan.Dependents(s.Name).Any();
        var init = order.Where(s => !s.LongRunning || Sidecar(s)).ToList();
        var main = plan.Services.Where(s => s.LongRunning && !Sidecar(s)).ToList();
        if (main.Count == 0)
            throw new UsageException("in --layout pod, a pod needs at least one long-running service that no other service depends on, and these services have none: export them with --layout split");
        var spec = new YamlMap();
        // Regular containers stop together; then the sidecars, one after another in reverse order.
        var grace = main.Max(s => s.StopBudgetSeconds) + init.Where(Sidecar).Sum(s => s.StopBudgetSeconds);
        spec.Add("terminationGracePeriodSeconds", YamlScalar.Of(grace).Comment("every container's stop: Tend's stop timeout of its service, then what is left in it; the sidecars stop last, in turn"));
        if (init.Count > 0)
        {
            var list = new YamlSeq();
            foreach (var s in init) list.Add(Container(plan, s, Sidecar(s) ? Role.Sidecar : Role.Init, "the pod"));
            spec.Add("initContainers", list);
        }
        var containers = new YamlSeq();
        foreach (var s in main) containers.Add(Container(plan, s, Role.Main, "the pod"));
        spec.Add("containers", containers);
        return Workload("apps/v1", "Deployment", plan.AppName, Labels(plan, null), new YamlMap()
            .Add("replicas", 1)
            .Add("selector", new YamlMap().Add("matchLabels", Labels(plan, null)))
            .Add("template", new YamlMap().Add("metadata", new YamlMap().Add("labels", Labels(plan, null))).Add("spec", spec)));
    }

    private static List<YamlNode> Split(ExportPlan plan)
    {
        var docs = new List<YamlNode>();
        foreach (var s in plan.Services)
        {
            var name = $"{plan.AppName}-{s.Name}";
            var spec = new YamlMap();
            if (s.LongRunning) spec.Add("terminationGracePeriodSeconds", s.StopBudgetSeconds);
            else spec.Add("restartPolicy", s.Spec.Restart == Restart.Never ? "Never" : "OnFailure");
            var waits = new YamlSeq();
            foreach (var d in s.Spec.DependsOn.Select(plan.Get))
            {
                if (d.LongRunning && d.TcpPort is { } port)
                {
                    var address = $"tcp:{d.Name}:{port.ToString(CultureInfo.InvariantCulture)}";
                    waits.Add(new YamlMap()
                        .Add("name", $"wait-for-{d.Name}")
                        .Add("image", plan.Image)
                        .Add("args", YamlSeq.Words(["wait-for", address])));
                }
                else
                    spec.Comment(d.LongRunning
                        ? $"{s.Name} depends on {d.Name}, whose readiness cannot be checked from another pod (no TCP readiness check): it starts without waiting"
                        : $"{s.Name} depends on the one-shot task {d.Name} (a Job): waiting for a Job takes access to the API, so it starts without waiting");
            }
            if (waits.Items.Count > 0) spec.Add("initContainers", waits);
            spec.Add("containers", new YamlSeq().Add(Container(plan, s, Role.Main, "its own pod")));
            var labels = Labels(plan, s.Name);
            var template = new YamlMap().Add("metadata", new YamlMap().Add("labels", Labels(plan, s.Name))).Add("spec", spec);
            if (s.LongRunning)
            {
                docs.Add(Workload("apps/v1", "Deployment", name, labels, new YamlMap()
                    .Add("replicas", 1)
                    .Add("selector", new YamlMap().Add("matchLabels", Labels(plan, s.Name)))
                    .Add("template", template)));
                if (s.TcpPort is { } port)
                {
                    var p = YamlScalar.Of(port);
                    docs.Add(new YamlMap()
                        .Add("apiVersion", "v1")
                        .Add("kind", "Service")
                        .Add("metadata", new YamlMap().Add("name", s.Name).Add("labels", Labels(plan, s.Name)))
                        .Add("spec", new YamlMap()
                            .Add("selector", Labels(plan, s.Name))
                            .Add("ports", new YamlSeq().Add(new YamlMap().Add("name", "tcp").Add("port", p).Add("targetPort", YamlScalar.Of(port))))));
                }
            }
            else
                docs.Add(Workload("batch/v1", "Job", name, labels, new YamlMap()
                    .Add("backoffLimit", s.Spec.Restart == Restart.Never ? 0 : s.Spec.StartLimit)
                    .Add("template", template)));
        }
        return docs;
    }

    private enum Role { Main, Sidecar, Init }

    private static YamlMap Container(ExportPlan plan, ExportedService s, Role role, string where)
    {
        var c = new YamlMap();
        // In one pod the services share the network: 127.0.0.1 still reaches the others.
        if (where != "the pod") foreach (var note in ExportPlan.LoopbackNotes(s, where)) c.Comment(note);
        if (role == Role.Main && s.LongRunning && s.Spec.Restart != Restart.Always)
            c.Comment($"{s.Name} restarts {(s.Spec.Restart == Restart.Never ? "never" : "on failure")}, but the kubelet restarts every container of a Deployment's pod");
        c.Add("name", s.Name);
        c.Add("image", plan.Image);
        c.Add("args", YamlSeq.Words([.. s.Arguments.Select(Literal)]));
        if (s.Environment.Count > 0)
        {
            var env = new YamlSeq();
            foreach (var (k, v) in s.Environment) env.Add(new YamlMap().Add("name", k).Add("value", Literal(v)));
            c.Add("env", env);
        }
        if (role == Role.Sidecar) c.Add("restartPolicy", "Always");
        if (s.LongRunning && s.TcpPort is { } port)
            c.Add("ports", new YamlSeq().Add(new YamlMap().Add("containerPort", port).Add("protocol", "TCP")));
        if (s.LongRunning && s.HasReadiness)
        {
            var probes = new List<(string Key, YamlMap Probe)>();
            if (role == Role.Sidecar) probes.Add(("startupProbe", Probe(s, StartupPeriodSeconds, StartupAttempts)));
            probes.Add(("readinessProbe", Probe(s, ReadinessPeriodSeconds, 3)));
            if (s.Spec.Ready is { Kind: ReadinessKind.Tcp, Address: var a } && System.Net.IPAddress.IsLoopback(a!))
                probes[0].Probe.Comment($"its readiness check connects to {a}, the kubelet to the pod's address: {s.Name} must listen on that too (0.0.0.0)");
            if (role == Role.Sidecar)
                probes[0].Probe.Comment($"{s.Name}'s readiness check: the containers after it start once it passed");
            foreach (var (key, probe) in probes) c.Add(key, probe);
        }
        return c;
    }

    /// <summary>A TCP readiness check becomes a tcpSocket probe (the kubelet connects to the pod's address); others ask Tend: <c>tend health</c>.</summary>
    private static YamlMap Probe(ExportedService s, int period, int failures)
    {
        var probe = new YamlMap();
        if (s.TcpPort is { } port)
        {
            probe.Add("tcpSocket", new YamlMap().Add("port", port));
        }
        else probe.Add("exec", new YamlMap().Add("command", YamlSeq.Words(["tend", "health"])));
        var timeout = s.Spec.Ready is { } r ? Math.Max(1, (int)Math.Ceiling(r.Timeout.TotalSeconds)) : 1;
        return probe.Add("periodSeconds", period).Add("timeoutSeconds", s.Spec.Ready is null ? 5 : timeout).Add("failureThreshold", failures);
    }

    private static YamlMap Workload(string apiVersion, string kind, string name, YamlMap labels, YamlMap spec) =>
        new YamlMap()
            .Add("apiVersion", apiVersion)
            .Add("kind", kind)
            .Add("metadata", new YamlMap().Add("name", name).Add("labels", labels))
            .Add("spec", spec);

    private static YamlMap Labels(ExportPlan plan, string? component)
    {
        var m = new YamlMap().Add(NameLabel, plan.AppName);
        if (component is not null) m.Add(ComponentLabel, component);
        return m;
    }
}
