using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Tend.Generators.Model;

namespace Tend.Generators;

/// <summary>
/// A problem found across services, named by the service (and option) it is reported on rather than by a location:
/// the table stays equal, and cached, when declarations only move.
/// </summary>
public sealed record Problem(string Id, string Service, string? Option, EquatableArray<string> Args)
{
    /// <summary>The diagnostic at the service's attribute, or at its option's property.</summary>
    public DiagnosticInfo Locate(IReadOnlyDictionary<string, ServiceSite> sites)
    {
        sites.TryGetValue(Service, out var site);
        var location = Option is null ? site?.Attribute : site?.Options.FirstOrDefault(o => o.Property == Option)?.Location
            ?? site?.Attribute;
        return new DiagnosticInfo(Id, location, Args);
    }
}

/// <summary>
/// Every service at once: sorted for determinism, and checked for what one declaration cannot show (a name two
/// services share, a flag or environment variable two options share, a dependency cycle). Any problem leaves the
/// table empty: TendApp is emitted only for a consistent set of services.
/// </summary>
public sealed record Table(EquatableArray<ServiceModel> Services, EquatableArray<Problem> Problems)
{
    public static Table Build(ImmutableArray<ServiceModel> models)
    {
        var problems = new List<Problem>();
        var services = models.OrderBy(m => m.Name, System.StringComparer.Ordinal).ThenBy(m => m.FullName,
            System.StringComparer.Ordinal).ToList();

        DuplicateNames(services, problems);
        SharedFlags(services, problems);
        Cycles(services, problems);
        var readers = services.Where(s => s.Stdin).ToList();
        if (readers.Count > 1)
            problems.Add(Problem(readers[1], DiagnosticDescriptors.StdinTwice.Id, null, DeclarationRules.StdinTwiceMessage(readers[0].Name,
                readers[1].Name)));

        // A dependency on a [Service] class whose declaration has errors is left to those errors; drop it here.
        var byName = new HashSet<string>(services.Select(s => s.FullName));
        var valid = services.Select(s => s with { DependsOn = new EquatableArray<string>(s.DependsOn.Where(byName.Contains)) }).ToList();
        var errors = problems.Count > 0;
        if (!errors) Budgets(valid, problems);
        return new Table(new EquatableArray<ServiceModel>(errors ? Enumerable.Empty<ServiceModel>() : valid),
            new EquatableArray<Problem>(problems));
    }

    /// <summary>
    /// The stop budget of one container: Docker gives <c>docker stop</c> 10 s by default (docs.docker.com, "docker
    /// container stop": --timeout), then kills the container. Tend stops services in reverse dependency order, each
    /// after its dependents, each taking up to its StopTimeout: the longest such chain must fit.
    /// </summary>
    public static readonly System.TimeSpan DockerStopBudget = System.TimeSpan.FromSeconds(10);

    /// <summary>Warnings no peer gives: the stop chain against the platform's budget, and dependencies without readiness.</summary>
    private static void Budgets(List<ServiceModel> services, List<Problem> problems)
    {
        var byName = services.ToDictionary(s => s.FullName);
        var dependents = services.ToDictionary(s => s.FullName, _ => new List<ServiceModel>());
        foreach (var s in services)
            foreach (var d in s.DependsOn)
                dependents[d].Add(s);
        long StopMs(ServiceModel s) => s.Settings.FirstOrDefault(x => x.Property == "StopTimeout") is { } t
            ? long.Parse(t.Value, System.Globalization.CultureInfo.InvariantCulture)
            : Duration.TryParse(ServiceDefaults.StopTimeout, out var d) ? (long)d.TotalMilliseconds : 0;
        // The longest chain that ends with each service: its dependents stop first (the table has no cycle here).
        var chains = new Dictionary<string, (long Ms, List<ServiceModel> Path)>();
        (long Ms, List<ServiceModel> Path) Chain(ServiceModel s)
        {
            if (chains.TryGetValue(s.FullName, out var known)) return known;
            var before = dependents[s.FullName].Select(Chain).OrderByDescending(c => c.Ms).FirstOrDefault();
            var path = new List<ServiceModel>(before.Path ?? new List<ServiceModel>()) { s };
            return chains[s.FullName] = ((before.Path is null ? 0 : before.Ms) + StopMs(s), path);
        }
        var longest = services.Select(Chain).OrderByDescending(c => c.Ms).FirstOrDefault();
        if (longest.Path is not null && longest.Ms > (long)DockerStopBudget.TotalMilliseconds)
        {
            string Format(long ms) => Duration.Format(System.TimeSpan.FromMilliseconds(ms));
            var steps = string.Join(", then ", longest.Path.Select(s => $"{s.Name} {Format(StopMs(s))}"));
            problems.Add(Problem(longest.Path[0], DiagnosticDescriptors.StopBudget.Id, null, Format(longest.Ms), steps,
                Format((long)DockerStopBudget.TotalMilliseconds),
                "docker stop (its default; docker stop -t, compose's stop_grace_period)"));
        }
        foreach (var s in services)
        {
            var waiting = dependents[s.FullName];
            if (waiting.Count == 0 || s.HasReady || s.OneShot || s.Daemonizes || s.Schedule is not null) continue;
            problems.Add(Problem(s, DiagnosticDescriptors.ReadinessForDependents.Id, null, s.Name, string.Join(", ",
                waiting.Select(w => $"'{w.Name}'"))));
        }
    }

    private static Problem Problem(Tend.Generators.Model.ServiceModel s, string id, string? option, params string[] args) =>
        new(id, s.FullName, option, new EquatableArray<string>(args));

    private static void DuplicateNames(List<ServiceModel> services, List<Problem> problems)
    {
        foreach (var group in services.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            var list = group.ToList();
            // Two classes of one name (in two namespaces, a copied file) are told apart by their namespaces.
            string Show(ServiceModel m) => list.Count(x => x.ClassName == m.ClassName) > 1 ? m.DisplayName : m.ClassName;
            foreach (var dup in list.Skip(1))
                problems.Add(Problem(dup, DiagnosticDescriptors.DuplicateName.Id, null, dup.Name, Show(list[0]), Show(dup)));
        }
    }

    private static void SharedFlags(List<ServiceModel> services, List<Problem> problems)
    {
        var flags = new Dictionary<string, string>();
        foreach (var f in Tend.Arguments.GlobalFlags.Names) flags[f] = "Tend's own option";
        var envs = new Dictionary<string, string>();
        foreach (var s in services)
            foreach (var o in s.Options)
            {
                var who = $"{s.ClassName}.{o.Property}";
                if (flags.TryGetValue(o.Flag, out var other))
                {
                    problems.Add(Problem(s, DiagnosticDescriptors.OptionClash.Id, o.Property, who, o.Flag, other));
                    continue;
                }
                flags[o.Flag] = who;
                if (envs.TryGetValue(o.Env, out var otherEnv))
                    problems.Add(Problem(s, DiagnosticDescriptors.OptionClash.Id, o.Property, who, o.Env, otherEnv));
                else envs[o.Env] = who;
            }
    }

    /// <summary>Cycles, named in declaration terms: a -> b -> a; each reported once.</summary>
    private static void Cycles(List<ServiceModel> services, List<Problem> problems)
    {
        var byName = services.GroupBy(s => s.FullName).ToDictionary(g => g.Key, g => g.First());
        var state = new Dictionary<string, int>();
        var stack = new List<ServiceModel>();
        var reported = new HashSet<string>();
        void Visit(ServiceModel s)
        {
            if (state.TryGetValue(s.FullName, out var st))
            {
                if (st == 1)
                {
                    var cycle = stack.Skip(stack.FindIndex(x => x.FullName == s.FullName)).Select(x =>
                        x.Name).Concat(new[] { s.Name }).ToList();
                    var key = string.Join(",", cycle.Skip(1).OrderBy(x => x, System.StringComparer.Ordinal));
                    if (reported.Add(key))
                        problems.Add(Problem(s, DiagnosticDescriptors.Cycle.Id, null, string.Join(" -> ", cycle)));
                }
                return;
            }
            state[s.FullName] = 1;
            stack.Add(s);
            foreach (var d in s.DependsOn) if (byName.TryGetValue(d, out var dep)) Visit(dep);
            stack.RemoveAt(stack.Count - 1);
            state[s.FullName] = 2;
        }
        foreach (var s in services) Visit(s);
    }
}
