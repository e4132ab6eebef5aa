namespace Tend.Arguments;

/// <summary>
/// <c>--only</c> and <c>--without</c>: which declared services run. Decided on names and dependencies alone, so the
/// generated binder builds (and runs the user code of) only the services kept.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ServiceSelection
{
    /// <summary>For each service (by index), whether it is kept.</summary>
    /// <param name="names">The declared services' names.</param>
    /// <param name="dependsOn">For each service, the indices of the services it depends on.</param>
    /// <param name="only">Names given to <c>--only</c> (none: every service).</param>
    /// <param name="without">Names given to <c>--without</c>.</param>
    /// <exception cref="UsageException">An unknown name.</exception>
    public static bool[] Keep(IReadOnlyList<string> names, IReadOnlyList<IReadOnlyList<int>> dependsOn, IReadOnlyList<string> only,
        IReadOnlyList<string> without)
    {
        foreach (var (flag, list) in new[] { ("--only", only), ("--without", without) })
            foreach (var n in list)
                if (!names.Contains(n))
                    throw new UsageException($"option '{flag}' names '{n}', which is not a service here; the services " +
                        $"are: {string.Join(", ", names)}");
        var keep = new bool[names.Count];
        for (var i = 0; i < names.Count; i++) keep[i] = (only.Count == 0 || only.Contains(names[i])) && !without.Contains(names[i]);
        // A kept service that depends on a left-out one is refused later (RequireDependencies), unless --orchestrated.
        return keep;
    }

    /// <summary>
    /// Without <c>--orchestrated</c>, every dependency of a service that runs must run too: one left out by
    /// <c>--only</c>/<c>--without</c> would be waited for for ever (with it, the orchestrator runs it: Export/Orchestration.cs).
    /// </summary>
    /// <exception cref="UsageException">A service depends on one that is not here.</exception>
    internal static void RequireDependencies(IReadOnlyList<ServiceSpec> services)
    {
        var names = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var s in services)
            if (s.DependsOn.FirstOrDefault(d => !names.Contains(d)) is { } missing)
                throw new UsageException($"service '{s.Name}' depends on '{missing}', which --only/--without leaves out: keep both or " +
                    $"neither (or give --orchestrated when an orchestrator runs '{missing}')");
    }
}
