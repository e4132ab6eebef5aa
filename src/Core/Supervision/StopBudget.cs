namespace Tend.Supervision;

/// <summary>
/// How long a graceful stop can take at worst, against what <c>docker stop</c> gives (10 s by default, then SIGKILL to
/// everything): services stop in reverse dependency order, each waiting up to its stop timeout, so the worst case is
/// the longest chain of stop timeouts from a service to the last of its dependencies. A one-shot task without a
/// schedule adds nothing: its dependents start only once it has completed, so at shutdown it is no longer running.
/// </summary>
internal static class StopBudget
{
    /// <summary><c>docker stop</c>'s default grace period (<c>docker stop --time</c>, Compose's <c>stop_grace_period</c>).</summary>
    public static readonly TimeSpan DockerDefault = TimeSpan.FromSeconds(10);

    /// <summary>The longest chain of stop timeouts, in stop order (dependents first), and its total.</summary>
    public static (TimeSpan Total, IReadOnlyList<string> Chain) Longest(ServiceTable table)
    {
        var memo = new Dictionary<int, (TimeSpan, List<string>)>();
        (TimeSpan, List<string>) From(int i)
        {
            // The chain that ends with service i: the longest chain of a service that depends on i, then i itself.
            if (memo.TryGetValue(i, out var known)) return known;
            var name = table.Services[i].Name;
            var best = (TimeSpan.Zero, new List<string>());
            for (var j = 0; j < table.Count; j++)
                if (table.Services[j].DependsOn.Contains(name) && From(j) is var c && c.Item1 > best.Item1) best = c;
            var spec = table.Services[i];
            var own = spec.OneShot && spec.Schedule is null ? TimeSpan.Zero : spec.StopTimeout;
            var result = (best.Item1 + own, own > TimeSpan.Zero ? new List<string>(best.Item2) { name } : best.Item2);
            memo[i] = result;
            return result;
        }
        var longest = (TimeSpan.Zero, new List<string>());
        for (var i = 0; i < table.Count; i++)
            if (From(i) is var c && c.Item1 > longest.Item1) longest = c;
        return (longest.Item1, longest.Item2);
    }

    /// <summary>The warning to log at start when the longest stop cannot fit in <see cref="DockerDefault"/>, else null.</summary>
    public static string? Warning(ServiceTable table)
    {
        var (total, chain) = Longest(table);
        if (total <= DockerDefault) return null;
        var what = chain.Count == 1
            ? $"service '{chain[0]}' has a stop timeout of {Duration.Format(total)}"
            : $"the services {string.Join(" → ", chain)} stop one after the other, " +
                $"in up to {Duration.Format(total)} (their stop timeouts added up)";
        return $"warning: {what}, more than the {Duration.Format(DockerDefault)} docker stop gives before it kills everything; " +
            $"run the container with docker stop --time {Math.Ceiling(total.TotalSeconds * 2)} " +
            "(Compose: stop_grace_period, Kubernetes: terminationGracePeriodSeconds), or shorten the stop timeouts";
    }
}
