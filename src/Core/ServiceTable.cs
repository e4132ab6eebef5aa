using System.Collections.Immutable;

namespace Tend;

/// <summary>The validated set of services, with dependencies resolved to indices.</summary>
internal sealed class ServiceTable
{
    /// <summary>Validates <paramref name="services"/>: unique non-empty names, known dependencies, no cycle.</summary>
    /// <exception cref="ArgumentException">A name is empty or repeated, a dependency is unknown, or dependencies form a cycle.</exception>
    public ServiceTable(IEnumerable<ServiceSpec> services)
    {
        Services = services.ToImmutableArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Services.Length; i++)
        {
            var s = Services[i];
            if (string.IsNullOrWhiteSpace(s.Name)) throw new ArgumentException($"service {i + 1} has an empty name");
            if (!index.TryAdd(s.Name, i)) throw new ArgumentException($"two services are named '{s.Name}': give each a unique name");
            if (s.StartLimit < 1) throw new ArgumentException($"service '{s.Name}': StartLimit must be at least 1");
            if (s.StopTimeout < TimeSpan.Zero || s.BackoffInitial < TimeSpan.Zero || s.BackoffMax < TimeSpan.Zero)
                throw new ArgumentException($"service '{s.Name}': durations must not be negative");
            if (s.Schedule is not null && DeclarationRules.ScheduleConflict(s.OneShot, s.Daemonizes, s.Ready is not null) is { } conflict)
                throw new ArgumentException(DeclarationRules.ScheduleConflictMessage(s.Name, conflict));
        }
        var deps = new ImmutableArray<int>[Services.Length];
        var dependents = new List<int>[Services.Length];
        for (var i = 0; i < Services.Length; i++) dependents[i] = [];
        for (var i = 0; i < Services.Length; i++)
        {
            var list = ImmutableArray.CreateBuilder<int>();
            foreach (var d in Services[i].DependsOn)
            {
                if (!index.TryGetValue(d, out var j))
                    throw new ArgumentException($"service '{Services[i].Name}' depends on '{d}', which is not a service here");
                list.Add(j);
                dependents[j].Add(i);
            }
            deps[i] = list.ToImmutable();
        }
        Dependencies = [.. deps];
        Dependents = [.. dependents.Select(l => l.ToImmutableArray())];
        var cycle = FindCycle();
        if (cycle is not null)
            throw new ArgumentException($"services depend on each other in a cycle: {string.Join(" " +
                "-> ", cycle.Select(i => Services[i].Name))}");
    }

    /// <summary>The services, in declaration order.</summary>
    public ImmutableArray<ServiceSpec> Services { get; }

    /// <summary>For each service, the indices of the services it depends on.</summary>
    public ImmutableArray<ImmutableArray<int>> Dependencies { get; }

    /// <summary>For each service, the indices of the services that depend on it.</summary>
    public ImmutableArray<ImmutableArray<int>> Dependents { get; }

    /// <summary>The number of services.</summary>
    public int Count => Services.Length;

    /// <summary>The index of the service named <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Services.Length; i++) if (Services[i].Name == name) return i;
        return -1;
    }

    private List<int>? FindCycle()
    {
        var state = new int[Count]; // 0 new, 1 on stack, 2 done
        var stack = new List<int>();
        for (var i = 0; i < Count; i++)
        {
            var c = Visit(i);
            if (c is not null) return c;
        }
        return null;

        List<int>? Visit(int i)
        {
            if (state[i] == 2) return null;
            if (state[i] == 1)
            {
                var from = stack.IndexOf(i);
                return [.. stack.Skip(from), i];
            }
            state[i] = 1;
            stack.Add(i);
            foreach (var d in Dependencies[i])
            {
                var c = Visit(d);
                if (c is not null) return c;
            }
            stack.RemoveAt(stack.Count - 1);
            state[i] = 2;
            return null;
        }
    }
}
