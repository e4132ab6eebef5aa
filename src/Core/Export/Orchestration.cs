using Tend.Arguments;

namespace Tend.Export;

/// <summary>
/// <c>--orchestrated</c>: Tend as the thin PID 1 of one container among several (what <c>tend export</c> writes).
/// It still reaps, forwards signals and stops each service within its stop timeout, but leaves restarts to the
/// orchestrator — every service runs once, and Tend exits with its code — so a crash is the orchestrator's to see
/// (internal restarts hide them from Kubernetes). A dependency left out by <c>--only</c>/<c>--without</c> is then the
/// orchestrator's to start (<c>depends_on</c>, a sidecar, an init container); without <c>--orchestrated</c>, leaving
/// one out is refused, since the service would wait for it for ever.
/// </summary>
internal static class Orchestration
{
    /// <summary>The services as this run runs them.</summary>
    /// <exception cref="UsageException">A service depends on one that is not here, and the run is not orchestrated.</exception>
    public static List<ServiceSpec> Apply(List<ServiceSpec> services, bool orchestrated)
    {
        var names = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < services.Count; i++)
        {
            var s = services[i];
            var missing = s.DependsOn.Where(d => !names.Contains(d)).ToList();
            if (missing.Count > 0 && !orchestrated)
                throw new UsageException($"service '{s.Name}' depends on '{missing[0]}', which --only/--without leaves out: keep both or neither (or give --orchestrated when an orchestrator runs '{missing[0]}')");
            if (orchestrated)
                services[i] = s with { Restart = Restart.Never, Critical = true, DependsOn = [.. s.DependsOn.Where(names.Contains)] };
        }
        return services;
    }
}
