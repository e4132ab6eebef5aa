using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Tend.Generators.Model;

namespace Tend.Generators;

/// <summary>
/// [Service] partial classes → each class's generated half and <c>TendApp</c> (the service table, the binder and
/// the entry point). Models are plain values; diagnostics go through their own output.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ServiceGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.ServiceAttribute, static (_, _) => true, Parser.Parse)
            .WithTrackingName(TrackingNames.Parsed);

        // Diagnostics are reported apart from the sources, so the model steps stay cached; pairing them with the
        // compilation (to turn stored positions back into real locations) only re-runs this small reporting step.
        var diagnostics = parsed.Select(static (r, _) => r.Diagnostics).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider),
            static (spc, x) => { foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right)); });

        var models = parsed.Where(static r => r.Model is not null).Select(static (r, _) => r.Model!).WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, m) =>
            spc.AddSource($"{string.Join(".", m.ContainingTypes.Concat(new[] { m.ClassName }))}.{m.Name}.g.cs", Emitter.ServicePart(m)));

        var all = models.Collect()
            .Select(static (ms, _) => Table.Build(ms))
            .WithTrackingName(TrackingNames.Table);
        context.RegisterSourceOutput(all, static (spc, table) => spc.AddSource("TendApp.g.cs", Emitter.App(table.Services.ToList())));
        context.RegisterSourceOutput(all.Select(static (t, _) => t.Diagnostics).Combine(context.CompilationProvider),
            static (spc, x) => { foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right)); });
    }
}

/// <summary>Names of the tracked pipeline steps (for the caching test).</summary>
public static class TrackingNames
{
    public const string Parsed = nameof(Parsed);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Models = nameof(Models);
    public const string Table = nameof(Table);
}

/// <summary>Every service at once: sorted for determinism, and checked for what one declaration cannot show.</summary>
public sealed record Table(EquatableArray<ServiceModel> Services, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static Table Build(ImmutableArray<ServiceModel> models)
    {
        var diags = new List<DiagnosticInfo>();
        var services = models.OrderBy(m => m.Name, System.StringComparer.Ordinal).ThenBy(m => m.FullName, System.StringComparer.Ordinal).ToList();

        foreach (var group in services.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            var list = group.ToList();
            foreach (var dup in list.Skip(1))
                diags.Add(new DiagnosticInfo(DiagnosticDescriptors.DuplicateName.Id, dup.Location, new EquatableArray<string>(new[] { dup.Name, list[0].ClassName, dup.ClassName })));
        }

        var flags = new Dictionary<string, string>();
        foreach (var f in Tend.Arguments.GlobalFlags.Names) flags[f] = "Tend's own option";
        var envs = new Dictionary<string, string>();
        foreach (var s in services)
            foreach (var o in s.Options)
            {
                var who = $"{s.ClassName}.{o.Property}";
                if (flags.TryGetValue(o.Flag, out var other))
                    diags.Add(new DiagnosticInfo(DiagnosticDescriptors.OptionClash.Id, s.Location, new EquatableArray<string>(new[] { who, o.Flag, other })));
                else flags[o.Flag] = who;
                if (envs.TryGetValue(o.Env, out var otherEnv) && otherEnv != who && !diags.Any(d => d.Args.Contains(who)))
                    diags.Add(new DiagnosticInfo(DiagnosticDescriptors.OptionClash.Id, s.Location, new EquatableArray<string>(new[] { who, o.Env, otherEnv })));
                else envs[o.Env] = who;
            }

        // Cycles, named in declaration terms: a -> b -> a.
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
                    var cycle = stack.Skip(stack.FindIndex(x => x.FullName == s.FullName)).Select(x => x.Name).Concat(new[] { s.Name }).ToList();
                    var key = string.Join(",", cycle.Skip(1).OrderBy(x => x, System.StringComparer.Ordinal));
                    if (reported.Add(key))
                        diags.Add(new DiagnosticInfo(DiagnosticDescriptors.Cycle.Id, s.Location, new EquatableArray<string>(new[] { string.Join(" -> ", cycle) })));
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

        // A dependency on a [Service] class whose declaration has errors is left to those errors; drop it here.
        var valid = services.Select(s => s with { DependsOn = new EquatableArray<string>(s.DependsOn.Where(byName.ContainsKey)) });
        return new Table(new EquatableArray<ServiceModel>(diags.Count > 0 ? Enumerable.Empty<ServiceModel>() : valid), new EquatableArray<DiagnosticInfo>(diags));
    }
}
