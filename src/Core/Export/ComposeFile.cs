namespace Tend.Export;

/// <summary>
/// A Docker Compose file: a service per declared service, each a container of the same image. Works with Compose v2
/// and docker-compose 1.29 (the Compose Specification: no <c>version</c> key, <c>depends_on</c> with conditions).
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
        var services = new YamlMap();
        foreach (var s in plan.Services) services.Add(s.Name, Service(plan, s));
        var root = new YamlMap().Add("services", services);
        var header = plan.Header("Docker Compose file", command).Concat(
        [
            "The services no longer share localhost: one reaches another by its service name here (NAME:PORT, not",
            "127.0.0.1:PORT). Options that hold such addresses must be given to export (or set with TEND_* variables).",
            "Stop signals: Compose sends SIGTERM to Tend, which sends each service its own stop signal.",
        ]);
        return YamlText.Write([root], header);
    }

    private static YamlMap Service(ExportPlan plan, ExportedService s)
    {
        var m = new YamlMap();
        foreach (var note in ExportPlan.LoopbackNotes(s, "Compose")) m.Comment(note);
        m.Add("image", plan.Image);
        m.Add("command", YamlSeq.Words([.. s.Arguments.Select(Literal)]));
        if (s.Environment.Count > 0)
        {
            var env = new YamlMap();
            foreach (var (k, v) in s.Environment) env.Add(k, Literal(v));
            m.Add("environment", env);
        }
        if (s.TcpPort is { } port && s.LongRunning) m.Add("expose", YamlSeq.Words([port.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        m.Add("restart", Restart(s));
        var signal = (YamlScalar)"SIGTERM";
        if (s.Spec.StopSignal != 15) signal.Comment($"Tend sends {s.Name} {Signals.Name(s.Spec.StopSignal)}, its own stop signal");
        m.Add("stop_signal", signal);
        m.Add("stop_grace_period", $"{s.StopBudgetSeconds}s");
        if (s.LongRunning)
            m.Add("healthcheck", new YamlMap()
                .Add("test", YamlSeq.Words(["CMD", "tend", "health"]))
                .Add("interval", HealthInterval)
                .Add("timeout", "5s")
                .Add("retries", 3)
                .Add("start_period", "1m"));
        if (s.Spec.DependsOn.Count > 0)
        {
            var deps = new YamlMap();
            foreach (var d in s.Spec.DependsOn)
            {
                var dep = plan.Get(d);
                var condition = dep.Spec.OneShot ? "service_completed_successfully" : dep.HasReadiness ? "service_healthy" : "service_started";
                deps.Add(d, new YamlMap().Add("condition", condition));
            }
            m.Add("depends_on", deps);
        }
        return m;
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
}
