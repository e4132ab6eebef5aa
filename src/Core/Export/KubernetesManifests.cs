using System.Globalization;
using Tend.Arguments;

namespace Tend.Export;

/// <summary>How the services are laid out on Kubernetes.</summary>
internal enum KubernetesLayout
{
    /// <summary>One Deployment whose pod holds a container per service; dependencies are native sidecars.</summary>
    Pod,
    /// <summary>A Deployment (and a Service for its port) per long-running service, a Job per one-shot, a CronJob per schedule.</summary>
    Split,
}

/// <summary>Kubernetes manifests (apps/v1 Deployments, batch/v1 Jobs and CronJobs, v1 Services) for the exported services.</summary>
internal static class KubernetesManifests
{
    /// <summary>
    /// A value the kubelet must pass as it is: it expands <c>$(VAR)</c> in <c>args</c> and <c>env</c> values, and writes
    /// a literal <c>$(</c> as <c>$$(</c> (Kubernetes API reference, Container.args and EnvVar.value).
    /// </summary>
    internal static string Literal(string value) => value.Replace("$(", "$$(", StringComparison.Ordinal);

    /// <summary>A startup probe's period; with <see cref="StartupAttempts"/>, how long a service may take to get ready (5
    /// minutes).</summary>
    private const int StartupPeriodSeconds = 1;

    private const int StartupAttempts = 300;

    private const int ReadinessPeriodSeconds = 5;

    /// <summary>The longest object name Kubernetes takes for a Service (an RFC 1035 label); a CronJob's is 52.</summary>
    private const int MaxServiceName = 63, MaxCronJobName = 52;

    private const string NameLabel = "app.kubernetes.io/name";
    private const string ComponentLabel = "app.kubernetes.io/component";

    /// <summary>
    /// The component label of the pod layout's Deployment: its Service must not select a CronJob's pods, which carry
    /// the application's name too.
    /// </summary>
    private const string PodComponent = "services";

    public static string Write(ExportPlan plan, KubernetesLayout layout, string command)
    {
        foreach (var s in plan.Services)
        {
            var limit = s.Scheduled ? MaxCronJobName : MaxServiceName;
            if (layout == KubernetesLayout.Split && plan.ObjectName(s).Length > limit)
                throw new UsageException($"the Kubernetes name '{plan.ObjectName(s)}' (--name, then the service's name) is longer than " +
                    $"{limit} characters: give a shorter --name");
        }
        var header = plan.Header($"Kubernetes manifests ({(layout == KubernetesLayout.Pod ? "one pod" : "a pod per service")})",
            command).Concat(layout == KubernetesLayout.Pod
            ?
            [
                "One pod: the services share its network, so 127.0.0.1 still reaches another service. Services others",
                "depend on are native sidecars (init containers with restartPolicy: Always, Kubernetes 1.29 or later): the",
                "next starts once a sidecar's startupProbe (its readiness check) passed. One-shot tasks are init containers.",
                $"The Service {plan.AppName} reaches the pod's ports; a scheduled task is a CronJob, in a pod of its own.",
            ]
            :
            [
                $"A pod per service: one reaches another through its Service, named {plan.AppName}-SERVICE (--name, then the",
                $"service's name: {plan.AppName}-SERVICE:PORT, not 127.0.0.1:PORT); options that hold such addresses must be",
                "given to export (or set with TEND_* variables). A dependency with a TCP or HTTP readiness check is waited",
                "for by an init container running `tend wait-for` through that Service, which routes only to ready pods.",
            ]).Concat(
            [
                "Stop signals: the kubelet sends the image's STOPSIGNAL (SIGTERM for Tend's images) to Tend, which sends",
                "each service its own stop signal (lifecycle.stopSignal is still alpha).",
                "Probes test the service itself (tcpSocket, httpGet, its own command), never Tend: a livenessProbe restarts",
                "the container only when the service is unhealthy. `tend health` answers a readiness Kubernetes cannot test.",
            ]);
        var docs = layout == KubernetesLayout.Pod ? PodLayout(plan) : Split(plan);
        return YamlText.Write(docs, header);
    }

    private static List<YamlNode> PodLayout(ExportPlan plan)
    {
        var docs = new List<YamlNode>();
        var order = plan.InDependencyOrder().Where(s => !IsCronJob(s)).ToList();
        bool Sidecar(ExportedService s) => !plan.NoSidecars && s.LongRunning && plan.Dependents(s.Name).Any(d => !IsCronJob(d));
        var init = order.Where(s => s.Spec.OneShot || Sidecar(s)).ToList();
        var main = plan.Services.Where(s => !IsCronJob(s) && !s.Spec.OneShot && !Sidecar(s)).ToList();
        if (main.Count == 0 && init.Count > 0)
            throw new UsageException("in --layout pod, a pod needs at least one long-running service that no other service depends on, " +
                "and these services have none: export them with --layout split");
        if (main.Count > 0)
        {
            var spec = new YamlMap();
            // Regular containers stop together; then the sidecars, one after another in reverse order.
            var grace = plan.DrainSeconds + main.Max(s => s.StopBudgetSeconds) + init.Where(Sidecar).Sum(s => s.StopBudgetSeconds);
            spec.Add("terminationGracePeriodSeconds", YamlScalar.Of(grace).Comment(
                $"{(plan.DrainDelay is null ? "" : "the drain (--drain-delay), then ")}every container's stop: Tend's stop timeout of " +
                    $"its service, then what is left in it; the sidecars stop last, in turn"));
            PodSecurity(plan, spec);
            if (init.Count > 0)
            {
                var list = new YamlSeq();
                foreach (var s in init) list.Add(Container(plan, s, Sidecar(s) ? Role.Sidecar : Role.Init, "the pod"));
                spec.Add("initContainers", list);
            }
            var containers = new YamlSeq();
            foreach (var s in plan.NoSidecars ? order.Where(main.Contains) : main) containers.Add(Container(plan, s, Role.Main, "the pod"));
            spec.Add("containers", containers);
            Volumes(plan, spec);
            docs.Add(Workload("apps/v1", "Deployment", plan.AppName, Labels(plan, PodComponent), new YamlMap()
                .Add("replicas", 1)
                .Add("selector", new YamlMap().Add("matchLabels", Selector(plan, PodComponent)))
                .Add("template", new YamlMap().Add("metadata", new YamlMap().Add("labels", Selector(plan, PodComponent))).Add("spec",
                    spec))));
            var served = order.Where(s => s.LongRunning && s.Port is not null).ToList();
            if (served.Count > 0) docs.Add(Service(plan, plan.AppName, PodComponent, served));
        }
        foreach (var s in plan.Services.Where(IsCronJob))
            docs.Add(CronJob(plan, s, "its own pod", d => d.LongRunning && main.Count > 0 ? d.WaitAddress(plan.AppName) : null));
        return docs;
    }

    private static List<YamlNode> Split(ExportPlan plan)
    {
        var docs = new List<YamlNode>();
        string? Reach(ExportedService d) => d.LongRunning ? d.WaitAddress(plan.ObjectName(d)) : null;
        foreach (var s in plan.Services)
        {
            var name = plan.ObjectName(s);
            if (IsCronJob(s))
            {
                docs.Add(CronJob(plan, s, "its own pod", Reach));
                continue;
            }
            var spec = new YamlMap();
            if (!s.Spec.OneShot) spec.Add("terminationGracePeriodSeconds", s.StopBudgetSeconds + (s.LongRunning ? plan.DrainSeconds : 0));
            else spec.Add("restartPolicy", s.Spec.Restart == Restart.Never ? "Never" : "OnFailure");
            PodSecurity(plan, spec);
            WaitForDependencies(plan, s, spec, Reach);
            spec.Add("containers", new YamlSeq().Add(Container(plan, s, Role.Main, "its own pod")));
            Volumes(plan, spec);
            var template = new YamlMap().Add("metadata", new YamlMap().Add("labels", Selector(plan, s.Name))).Add("spec", spec);
            if (!s.Spec.OneShot)
            {
                docs.Add(Workload("apps/v1", "Deployment", name, Labels(plan, s.Name), new YamlMap()
                    .Add("replicas", 1)
                    .Add("selector", new YamlMap().Add("matchLabels", Selector(plan, s.Name)))
                    .Add("template", template)));
                if (s.Port is not null) docs.Add(Service(plan, name, s.Name, [s]));
            }
            else
                docs.Add(Workload("batch/v1", "Job", name, Labels(plan, s.Name), new YamlMap()
                    .Add("backoffLimit", s.Spec.Restart == Restart.Never ? 0 : s.Spec.StartLimit)
                    .Add("template", template)));
        }
        return docs;
    }

    /// <summary>A scheduled task the CronJob controller can schedule (else Tend schedules it in a long-running container).</summary>
    private static bool IsCronJob(ExportedService s) => s.Spec.Schedule is { } schedule
        && CronJobSchedule.Of(schedule.Expression) is not null;

    /// <summary>An init container running <c>tend wait-for</c> per dependency that can be checked from another pod; a comment for the
    /// others.</summary>
    private static void WaitForDependencies(ExportPlan plan, ExportedService s, YamlMap spec, Func<ExportedService, string?> reach)
    {
        var waits = new YamlSeq();
        foreach (var d in s.Spec.DependsOn.Select(plan.Get))
        {
            if (reach(d) is { } address)
            {
                var wait = new YamlMap()
                    .Add("name", $"wait-for-{d.Name}")
                    .Add("image", plan.Image)
                    .Add("args", YamlSeq.Words(["wait-for", address]));
                ContainerSecurity(plan, wait);
                waits.Add(wait);
            }
            else
                spec.Comment(d.Spec.OneShot
                    ? $"{s.Name} depends on the one-shot task {d.Name} (a Job): waiting for a Job takes access to the API, so it starts " +
                        $"without waiting"
                    : $"{s.Name} depends on {d.Name}, whose readiness cannot be checked from another pod (no TCP or HTTP readiness " +
                        $"check): it starts without waiting");
        }
        if (waits.Items.Count > 0) spec.Add("initContainers", waits);
    }

    /// <summary>
    /// A scheduled task as a CronJob: the controller starts a pod at each due time, in which Tend runs the task once
    /// (<c>--orchestrated</c> leaves a declared schedule to the orchestrator) and exits with its code. As under Tend:
    /// never two runs at once (<c>concurrencyPolicy: Forbid</c>), a failed run not retried (<c>backoffLimit: 0</c>).
    /// </summary>
    private static YamlMap CronJob(ExportPlan plan, ExportedService s, string where, Func<ExportedService, string?> reach)
    {
        var spec = new YamlMap().Add("restartPolicy", "Never");
        spec.Add("terminationGracePeriodSeconds", s.StopBudgetSeconds);
        PodSecurity(plan, spec);
        WaitForDependencies(plan, s, spec, reach);
        spec.Add("containers", new YamlSeq().Add(Container(plan, s, Role.Main, where)));
        Volumes(plan, spec);
        var schedule = (YamlScalar)CronJobSchedule.Of(s.Spec.Schedule!.Expression)!;
        schedule.Comment($"{s.Name}'s declared schedule, read in {plan.TimeZone} as Tend reads it (TZ where export ran, else UTC)");
        return Workload("batch/v1", "CronJob", plan.ObjectName(s), Labels(plan, s.Name), new YamlMap()
            .Add("schedule", schedule)
            .Add("timeZone", plan.TimeZone)
            .Add("concurrencyPolicy", "Forbid")
            .Add("jobTemplate", new YamlMap().Add("spec", new YamlMap()
                .Add("backoffLimit", 0)
                .Add("template", new YamlMap().Add("metadata", new YamlMap().Add("labels", Selector(plan, s.Name))).Add("spec", spec)))));
    }

    /// <summary>A ClusterIP Service for the ports of <paramref name="served"/>, named <paramref name="name"/>.</summary>
    private static YamlMap Service(ExportPlan plan, string name, string component, IReadOnlyList<ExportedService> served)
    {
        var ports = new YamlSeq();
        foreach (var s in served)
        {
            var port = s.Port!.Value;
            // A port's name is at most 15 characters (an IANA service name): the service's name when it fits.
            var portName = s.Name.Length <= 15 ? s.Name : $"port-{port.ToString(CultureInfo.InvariantCulture)}";
            ports.Add(new YamlMap().Add("name", portName).Add("port", port).Add("targetPort", port).Add("protocol", "TCP"));
        }
        return new YamlMap()
            .Add("apiVersion", "v1")
            .Add("kind", "Service")
            .Add("metadata", new YamlMap().Add("name", name).Add("labels", Labels(plan, component)))
            .Add("spec", new YamlMap().Add("selector", Selector(plan, component)).Add("ports", ports));
    }

    private enum Role { Main, Sidecar, Init }

    private static YamlMap Container(ExportPlan plan, ExportedService s, Role role, string where)
    {
        var c = new YamlMap();
        // In one pod the services share the network: 127.0.0.1 still reaches the others.
        if (where != "the pod") foreach (var note in ExportPlan.LoopbackNotes(s, where)) c.Comment(note);
        if (role == Role.Main && s.LongRunning && s.Spec.Restart != Restart.Always)
            c.Comment($"{s.Name} restarts {(s.Spec.Restart == Restart.Never ? "never" : "on failure")}, but the kubelet restarts every " +
                $"container of a Deployment's pod");
        if (s.Scheduled && !IsCronJob(s))
            c.Comment($"a CronJob cannot express {s.Name}'s schedule '{s.Spec.Schedule!.Expression}': Tend runs it at each due time in " +
                $"this container");
        c.Add("name", s.Name);
        c.Add("image", plan.Image);
        if (plan.NoSidecars && where == "the pod" && role == Role.Main)
        {
            // No sidecar to wait for: the container waits itself, on the pod's loopback, then becomes Tend.
            var waits = new List<string>();
            foreach (var d in s.Spec.DependsOn.Select(plan.Get).Where(d => d.LongRunning))
            {
                if (d.Spec.Ready?.Check is { Kind: CheckKind.Tcp or CheckKind.Http } r
                    && d.WaitAddress(r.Address!.ToString()) is { } address) waits.Add(address);
                else
                    c.Comment($"{s.Name} depends on {d.Name}, whose readiness cannot be checked from another container (no TCP or HTTP " +
                        $"readiness check): it starts without waiting");
            }
            if (waits.Count > 0) c.Add("command", YamlSeq.Words(["tend", WaitFor.Verb, .. waits, "--", "tend"]));
        }
        // The drain is for what the endpoints route to: the regular containers (sidecars stop after them).
        string[] drain = plan.DrainDelay is { } delay && s.LongRunning && role == Role.Main ? ["--drain-delay",
            Duration.Format(delay)] : [];
        var http = HttpPort(plan, s, where);
        string[] serve = http is { } port0 ? ["--http", $"0.0.0.0:{port0.ToString(CultureInfo.InvariantCulture)}"] : [];
        c.Add("args",
            YamlSeq.Words([.. (s.Scheduled && !IsCronJob(s) ? s.SchedulerArguments : s.Arguments).Select(Literal), .. drain, .. serve]));
        if (s.Environment.Count > 0)
        {
            var env = new YamlSeq();
            foreach (var (k, v) in s.Environment) env.Add(new YamlMap().Add("name", k).Add("value", Literal(v)));
            c.Add("env", env);
        }
        if (role == Role.Sidecar) c.Add("restartPolicy", "Always");
        if (s.LongRunning && s.Port is { } port)
            c.Add("ports", new YamlSeq().Add(new YamlMap().Add("containerPort", port).Add("protocol", "TCP")));
        if (s.LongRunning && s.HasReadiness)
        {
            var probes = new List<(string Key, YamlMap Probe)>();
            // A startup probe holds the others back until it passed: a sidecar's dependents wait for it, and a
            // liveness check starts once the service is ready, as under Tend.
            if (role == Role.Sidecar || s.Spec.Alive is not null) probes.Add(("startupProbe", ReadinessProbe(s, StartupPeriodSeconds,
                StartupAttempts, http)));
            probes.Add(("readinessProbe", ReadinessProbe(s, ReadinessPeriodSeconds, 3, http)));
            if (s.Spec.Ready?.Check is { Kind: CheckKind.Tcp or CheckKind.Http, Address: var a } && System.Net.IPAddress.IsLoopback(a!))
                probes[0].Probe.Comment($"its readiness check connects to {a}, the kubelet to the pod's address: {s.Name} must listen on " +
                    $"that too (0.0.0.0)");
            if (role == Role.Sidecar)
                probes[0].Probe.Comment($"{s.Name}'s readiness check: the containers after it start once it passed");
            foreach (var (key, probe) in probes) c.Add(key, probe);
        }
        // A watchdog (WATCHDOG=1 on NOTIFY_SOCKET) is heard only inside the container: Tend there enforces it, the kubelet cannot.
        if (s.LongRunning && s.Spec.Alive is { } alive && alive.Check.Kind != CheckKind.Watchdog) c.Add("livenessProbe",
            LivenessProbe(s, alive));
        if (Resources(plan, s) is { } resources) c.Add("resources", resources);
        ContainerSecurity(plan, c);
        if (plan.ReadOnly)
            c.Add("volumeMounts", new YamlSeq()
                .Add(new YamlMap().Add("name", "run").Add("mountPath", "/run"))
                .Add(new YamlMap().Add("name", "tmp").Add("mountPath", "/tmp")));
        return c;
    }

    /// <summary>
    /// The port of the container's HTTP endpoint (<c>--http PORT</c>) for a long-running service, or null. In the pod
    /// layout the containers share one network, so each takes its own: PORT plus the service's place in the declarations.
    /// </summary>
    private static int? HttpPort(ExportPlan plan, ExportedService s, string where) =>
        plan.HttpPort is { } first && s.LongRunning ? first + (where == "the pod" ? plan.Services.ToList().IndexOf(s) : 0) : null;

    /// <summary>
    /// A TCP readiness check becomes a tcpSocket probe and an HTTP one an httpGet probe (the kubelet connects to the
    /// pod's address); others ask Tend: an httpGet on its endpoint's <c>/healthz/NAME</c> when it serves one
    /// (<paramref name="http"/>: no process forked in the container per period), else <c>tend health</c> (a file, a
    /// command, a daemon to be found). Both answer for the service itself, by the same rule.
    /// </summary>
    private static YamlMap ReadinessProbe(ExportedService s, int period, int failures, int? http)
    {
        var probe = new YamlMap();
        switch (s.Spec.Ready?.Check)
        {
            case { Kind: CheckKind.Tcp } r: probe.Add("tcpSocket", new YamlMap().Add("port", r.Port)); break;
            case { Kind: CheckKind.Http } r: probe.Add("httpGet", new YamlMap().Add("path", r.HttpPath!).Add("port", r.Port)); break;
            case var _ when http is { } port: probe.Add("httpGet", new YamlMap().Add("path", $"/healthz/{s.Name}").Add("port",
                port)); break;
            default: probe.Add("exec", new YamlMap().Add("command", YamlSeq.Words(["tend", "health"]))); break;
        }
        var timeout = s.Spec.Ready is { } ready ? Seconds(ready.Timeout) : 5;
        return probe.Add("periodSeconds", period).Add("timeoutSeconds", timeout).Add("failureThreshold", failures);
    }

    /// <summary>
    /// The service's own liveness check, run by the kubelet — never <c>tend health</c>, so a container is restarted for
    /// its service's hang, not for Tend's (juju/juju#21512: a pod restarted because its supervisor was unhealthy).
    /// </summary>
    private static YamlMap LivenessProbe(ExportedService s, Liveness alive)
    {
        var probe = new YamlMap();
        var check = alive.Check;
        switch (check.Kind)
        {
            case CheckKind.Tcp: probe.Add("tcpSocket", new YamlMap().Add("port", check.Port)); break;
            case CheckKind.Http: probe.Add("httpGet", new YamlMap().Add("path", check.HttpPath!).Add("port", check.Port)); break;
            case CheckKind.File: probe.Add("exec", new YamlMap().Add("command", YamlSeq.Words(["test", "-e", check.Path!]))); break;
            default:
                var command = check.Command!;
                string[] env = command.Environment.Count > 0 ? ["env", .. command.Environment.OrderBy(e => e.Key,
                    StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")] : [];
                probe.Add("exec", new YamlMap().Add("command", YamlSeq.Words([.. env, command.Executable, .. command.Arguments])));
                break;
        }
        if (check.Kind is CheckKind.Tcp or CheckKind.Http && check.Address is { } a && System.Net.IPAddress.IsLoopback(a))
            probe.Comment($"{s.Name}'s liveness check connects to {a}, the kubelet to the pod's address: {s.Name} must listen on that " +
                $"too (0.0.0.0)");
        return probe.Add("periodSeconds", Seconds(alive.Interval)).Add("timeoutSeconds", Seconds(alive.Timeout)).Add("failureThreshold",
            alive.Failures);
    }

    private static int Seconds(TimeSpan t) => Math.Max(1, (int)Math.Ceiling(t.TotalSeconds));

    /// <summary>The requests and limits given for this service (or every one), a later setting winning; null when none.</summary>
    private static YamlMap? Resources(ExportPlan plan, ExportedService s)
    {
        YamlMap? Section(bool limit)
        {
            var values = new List<KeyValuePair<string, string>>();
            foreach (var (isLimit, setting) in plan.Resources)
                if (isLimit == limit && (setting.Service is null || setting.Service == s.Name))
                    foreach (var v in setting.Values)
                    {
                        values.RemoveAll(x => x.Key == v.Key);
                        values.Add(v);
                    }
            if (values.Count == 0) return null;
            var m = new YamlMap();
            foreach (var (k, v) in values) m.Add(k, v);
            return m;
        }
        var requests = Section(false);
        var limits = Section(true);
        if (requests is null && limits is null) return null;
        var r = new YamlMap();
        if (requests is not null) r.Add("requests", requests);
        if (limits is not null) r.Add("limits", limits);
        return r;
    }

    /// <summary>
    /// What every container may do: no privilege escalation (Tend drops to a service's <c>User</c> with setpriv, which
    /// needs none), and with <c>--read-only</c> a read-only root filesystem (Tend's control socket and the services'
    /// pid files go to the writable <c>/run</c>).
    /// </summary>
    private static void ContainerSecurity(ExportPlan plan, YamlMap c)
    {
        var sc = new YamlMap().Add("allowPrivilegeEscalation", false);
        if (plan.ReadOnly) sc.Add("readOnlyRootFilesystem", true);
        c.Add("securityContext", sc);
    }

    /// <summary>The pod's security context: the runtime's default seccomp profile, and the user given by <c>--run-as-user</c>.</summary>
    private static void PodSecurity(ExportPlan plan, YamlMap spec)
    {
        var sc = new YamlMap();
        if (plan.RunAsUser is { } uid)
        {
            sc.Comment("not root: Tend then supervises as this user and cannot run a service as another (User needs root)");
            sc.Add("runAsNonRoot", true).Add("runAsUser", uid).Add("runAsGroup", uid);
        }
        sc.Add("seccompProfile", new YamlMap().Add("type", "RuntimeDefault"));
        spec.Add("securityContext", sc);
    }

    /// <summary>With <c>--read-only</c>: an empty, writable <c>/run</c> and <c>/tmp</c> (in memory) per pod.</summary>
    private static void Volumes(ExportPlan plan, YamlMap spec)
    {
        if (!plan.ReadOnly) return;
        spec.Add("volumes", new YamlSeq()
            .Add(new YamlMap().Add("name", "run").Add("emptyDir", new YamlMap().Add("medium", "Memory")))
            .Add(new YamlMap().Add("name", "tmp").Add("emptyDir", new YamlMap().Add("medium", "Memory"))));
    }

    private static YamlMap Workload(string apiVersion, string kind, string name, YamlMap labels, YamlMap spec) =>
        new YamlMap()
            .Add("apiVersion", apiVersion)
            .Add("kind", kind)
            .Add("metadata", new YamlMap().Add("name", name).Add("labels", labels))
            .Add("spec", spec);

    /// <summary>The labels that select a workload's pods (a Deployment's selector cannot change later: nothing else goes in).</summary>
    private static YamlMap Selector(ExportPlan plan, string component) => new YamlMap().Add(NameLabel, plan.AppName).Add(ComponentLabel,
        component);

    /// <summary>An object's labels: its selector's, the image's tag as its version, and who made it (Kubernetes' recommended
    /// labels).</summary>
    private static YamlMap Labels(ExportPlan plan, string component)
    {
        var m = Selector(plan, component);
        if (VersionOf(plan.Image) is { } version) m.Add("app.kubernetes.io/version", version);
        return m.Add("app.kubernetes.io/managed-by", "tend-export");
    }

    /// <summary>The image's tag, when it is a valid label value (at most 63 characters: letters, digits, '-', '_', '.').</summary>
    private static string? VersionOf(string image)
    {
        var path = image.Split('@')[0];
        var last = path[(path.LastIndexOf('/') + 1)..];
        var colon = last.IndexOf(':');
        if (colon < 0) return null;
        var tag = last[(colon + 1)..];
        return tag.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(tag[0]) && char.IsAsciiLetterOrDigit(tag[^1]) &&
               tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? tag : null;
    }
}
