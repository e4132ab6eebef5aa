using System.Globalization;

namespace Tend.Export;

/// <summary>
/// A Docker Compose file: a service per declared service, each a container of the same image. For Docker Compose (v2,
/// and docker-compose 1.29: the Compose Specification, no <c>version</c> key, <c>depends_on</c> with conditions), or
/// for <c>docker stack deploy</c> (<see cref="ComposeTarget.Swarm"/>), whose loader takes <c>depends_on</c> only as a
/// list and ignores it, ignores <c>restart</c>, and reads <c>deploy</c>.
/// </summary>
internal static class ComposeFile
{
    /// <summary>How often Compose runs <c>tend health</c>: a dependent starts at most this long after its dependency is ready.</summary>
    internal const string HealthInterval = "2s";

    /// <summary>
    /// A value Compose must pass as it is: Compose substitutes <c>$VAR</c> and <c>${VAR}</c> in <c>command</c> and
    /// <c>environment</c>, and writes a literal <c>$</c> as <c>$$</c> (Compose file reference, "Interpolation").
    /// </summary>
    internal static string Literal(string value) => value.Replace("$", "$$", StringComparison.Ordinal);

    public static string Write(ExportPlan plan, string command)
    {
        var swarm = plan.Target == ComposeTarget.Swarm;
        var services = new YamlMap();
        foreach (var s in plan.Services) services.Add(s.Name, Service(plan, s, swarm));
        var root = new YamlMap().Add("services", services);
        var header = plan.Header(swarm ? "Docker Swarm stack file (docker stack deploy -c FILE NAME)" : "Docker Compose file",
            command).Concat(
        [
            "The services no longer share localhost: one reaches another by its service name here (NAME:PORT, not",
            "127.0.0.1:PORT). Options that hold such addresses must be given to export (or set with TEND_* variables).",
            $"Stop signals: {(swarm ? "Swarm" : "Compose")} sends SIGTERM to Tend, which sends each service its own stop signal.",
        ]).Concat(swarm
            ?
            [
                "Swarm ignores depends_on: a dependent's container runs `tend wait-for` first, which returns once its",
                "dependency's readiness check passes across the stack's network (by service name), then becomes Tend.",
                "Swarm restarts a task that ends or turns unhealthy (healthcheck: tend health); Tend inside never does.",
            ]
            : []);
        return YamlText.Write([root], header);
    }

    private static YamlMap Service(ExportPlan plan, ExportedService s, bool swarm)
    {
        var m = new YamlMap();
        foreach (var note in ExportPlan.LoopbackNotes(s, swarm ? "Swarm" : "Compose")) m.Comment(note);
        if (s.Scheduled)
            m.Comment($"{(swarm ? "Swarm" : "Compose")} has no scheduler (Kubernetes: a CronJob): Tend in this container " +
                $"runs {s.Name} at each due time of '{s.Spec.Schedule!.Expression}'");
        m.Add("image", plan.Image);
        var waits = swarm ? Waits(plan, s, m) : [];
        // Swarm: the image's entrypoint (Tend) comes after wait-for, which becomes it once every dependency answers.
        if (waits.Count > 0) m.Add("entrypoint", YamlSeq.Words(["tend", WaitFor.Verb, .. waits, "--", "tend"]));
        m.Add("command", YamlSeq.Words([.. (s.Scheduled ? s.SchedulerArguments : s.Arguments).Select(Literal)]));
        if (s.Environment.Count > 0)
        {
            var env = new YamlMap();
            foreach (var (k, v) in s.Environment) env.Add(k, Literal(v));
            m.Add("environment", env);
        }
        if (s.Port is { } port && s.LongRunning)
        {
            var p = port.ToString(CultureInfo.InvariantCulture);
            m.Add("expose", YamlSeq.Words([p]));
            if (!swarm)
                m.Add("ports",
                    YamlSeq.Words([$"127.0.0.1:{p}:{p}"]).Comment("on the host's loopback only: remove 127.0.0.1: to publish on every " +
                        "address"));
            else
                m.Comment($"to publish {s.Name} on every node (Swarm's ingress ignores an address): ports: [\"{p}:{p}\"]");
        }
        if (!swarm) m.Add("restart", Restart(s));
        var signal = (YamlScalar)"SIGTERM";
        if (s.Spec.StopSignal != 15) signal.Comment($"Tend sends {s.Name} {Signals.Name(s.Spec.StopSignal)}, its own stop signal");
        m.Add("stop_signal", signal);
        m.Add("stop_grace_period", $"{s.StopBudgetSeconds}s");
        if (!s.Spec.OneShot)
            m.Add("healthcheck", new YamlMap()
                .Add("test", YamlSeq.Words(["CMD", "tend", "health"]))
                .Add("interval", HealthInterval)
                .Add("timeout", "5s")
                .Add("retries", 3)
                .Add("start_period", "1m"));
        if (!swarm && s.Spec.DependsOn.Count > 0)
        {
            var deps = new YamlMap();
            foreach (var d in s.Spec.DependsOn)
            {
                var dep = plan.Get(d);
                var condition = dep.Spec.OneShot ? "service_completed_successfully" : dep.HasReadiness && !dep.Scheduled ? "service_healthy"
                    : "service_started";
                deps.Add(d, new YamlMap().Add("condition", condition));
            }
            m.Add("depends_on", deps);
        }
        if (swarm) m.Add("deploy", Deploy(s));
        return m;
    }

    /// <summary>The addresses a Swarm dependent waits for (<c>tend wait-for</c>); a comment for a dependency that cannot be checked from
    /// another container.</summary>
    private static List<string> Waits(ExportPlan plan, ExportedService s, YamlMap m)
    {
        var waits = new List<string>();
        foreach (var d in s.Spec.DependsOn.Select(plan.Get))
        {
            if (d.LongRunning && d.WaitAddress(d.Name) is { } address) waits.Add(address);
            else
                m.Comment(d.Spec.OneShot
                    ? $"{s.Name} depends on the one-shot task {d.Name}, which cannot be waited for from another container: it starts " +
                        $"without waiting"
                    : $"{s.Name} depends on {d.Name}, whose readiness cannot be checked from another container (no TCP or HTTP readiness " +
                        $"check): it starts without waiting");
        }
        return waits;
    }

    /// <summary>
    /// Swarm's own settings: one replica (<c>docker service scale</c> changes it), its restart policy from the
    /// service's (Swarm restarts now, not Tend); updates and rollbacks one task at a time, the new task started before
    /// the old one stops when it has a readiness check to wait for (else stopped first), a failed update rolled back.
    /// </summary>
    private static YamlMap Deploy(ExportedService s)
    {
        var order = s.HasReadiness ? "start-first" : "stop-first";
        var update = new YamlMap().Add("parallelism", 1).Add("order", order).Add("failure_action", "rollback");
        if (order ==
            "start-first") update.Comment("two copies run side by side for a moment: use stop-first if they must not (one data directory)");
        return new YamlMap()
            .Add("replicas", 1)
            .Add("restart_policy", new YamlMap().Add("condition", SwarmRestart(s)))
            .Add("update_config", update)
            .Add("rollback_config", new YamlMap().Add("parallelism", 1).Add("order", order));
    }

    /// <summary>
    /// Compose restarts now, not Tend: <c>Always</c> → always, <c>OnFailure</c> → on-failure, <c>Never</c> → no. A
    /// one-shot task is done once it succeeded: its failures are retried unless it never restarts.
    /// </summary>
    private static string Restart(ExportedService s) => s.Spec.Restart switch
    {
        Tend.Restart.Never => "no",
        _ when s.Spec.OneShot => "on-failure",
        Tend.Restart.OnFailure => "on-failure",
        _ => "always",
    };

    /// <summary>The same rule in Swarm's words: <c>any</c>, <c>on-failure</c>, <c>none</c>.</summary>
    private static string SwarmRestart(ExportedService s) => Restart(s) switch
    {
        "always" => "any",
        "no" => "none",
        var other => other,
    };
}
