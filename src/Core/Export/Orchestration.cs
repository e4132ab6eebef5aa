namespace Tend.Export;

/// <summary>
/// <c>--orchestrated</c>: Tend as the thin PID 1 of one container among several (what <c>tend export</c> writes).
/// It still reaps, forwards signals and stops each service within its stop timeout, but leaves restarts to the
/// orchestrator — every service runs once, and Tend exits with its code — so a crash is the orchestrator's to see
/// (internal restarts hide them from Kubernetes). A dependency left out by <c>--only</c>/<c>--without</c> is then the
/// orchestrator's to start (<c>depends_on</c>, a sidecar, an init container); without <c>--orchestrated</c>, leaving
/// one out is refused, since the service would wait for it for ever. A declared schedule is the orchestrator's too
/// (a Kubernetes CronJob starts the container at each due time): the task runs once, now, and Tend exits with its
/// code; a schedule given with <c>--schedule</c> is kept, for an orchestrator without a scheduler (Compose, Swarm).
/// </summary>
internal static class Orchestration
{
    /// <summary>The services as an orchestrated run runs them (only called for <c>--orchestrated</c>).</summary>
    /// <param name="services">The services selected for this run.</param>
    /// <param name="scheduledHere">The services <c>--schedule</c> named: their schedules stay Tend's.</param>
    public static List<ServiceSpec> Apply(List<ServiceSpec> services, IReadOnlyCollection<string>? scheduledHere = null)
    {
        var names = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < services.Count; i++)
        {
            var s = services[i] with { Restart = Restart.Never, Critical = true,
                DependsOn = [.. services[i].DependsOn.Where(names.Contains)] };
            if (s.Schedule is not null && scheduledHere?.Contains(s.Name) != true) s = s with { Schedule = null, OneShot = true };
            services[i] = s;
        }
        return services;
    }
}
