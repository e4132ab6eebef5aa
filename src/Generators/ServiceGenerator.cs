using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Tend.Generators.Model;

namespace Tend.Generators;

/// <summary>
/// [Service] partial classes → each class's generated half and <c>TendApp</c> (the service table, the binder and
/// the entry point). Models hold plain values and no location; where a declaration is travels apart, in its site,
/// and only the diagnostics outputs read it (the LoggerMessage generator's split: a spec for the source output, the
/// diagnostics reported from their own step).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ServiceGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.ServiceAttribute, static (_, _) => true, Parser.Parse)
            .WithTrackingName(TrackingNames.Parsed);

        var models = parsed.Where(static r => r.Model is not null).Select(static (r, _) => r.Model!).WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, m) => spc.AddSource(HintName(m), Emitter.ServicePart(m)));

        var table = models.Collect().Select(static (ms, _) => Table.Build(ms)).WithTrackingName(TrackingNames.Table);
        var app = table.Select(static (t, _) => t.Services).WithTrackingName(TrackingNames.App);
        // Emitted even when declarations have errors (then without services), so the program's TendApp.Run(args)
        // still binds and the user sees the TEND diagnostics, not a missing type.
        // A type of the user's named TendApp in the global namespace would merge with, or clash with, the generated one:
        // then none is emitted (a [Service] class so named gets TEND016; any other is the user's own).
        var userTendApp = context.CompilationProvider
            .Select(static (c, _) => c.Assembly.GlobalNamespace.GetTypeMembers("TendApp").Any(t => t.DeclaringSyntaxReferences.Length > 0))
            .WithTrackingName(TrackingNames.UserTendApp);
        // [assembly: HttpEndpoint("ADDRESS:PORT")]: at most one (the attribute allows one), carried into TendApp.Run.
        var http = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.HttpEndpointAttribute, static (node, _) => node is CompilationUnitSyntax,
                Parser.ParseHttpEndpoint)
            .WithTrackingName(TrackingNames.HttpEndpoint);
        var httpAddress = http.Collect().Select(static (all,
            _) => all.Select(h => h.Address).FirstOrDefault(a => a is not null)).WithTrackingName(TrackingNames.HttpAddress);
        context.RegisterSourceOutput(app.Combine(userTendApp.Combine(httpAddress)), static (spc, x) =>
        {
            if (!x.Right.Left) spc.AddSource("TendApp.g.cs", Emitter.App(x.Left.ToList(), x.Right.Right));
        });
        context.RegisterSourceOutput(http.Select(static (h, _) => h.Diagnostics).Combine(context.CompilationProvider),
            static (spc, x) => { foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right)); });

        // Diagnostics are reported apart from the sources. Pairing them with the compilation (to turn stored
        // positions back into locations in its trees) re-runs only these small reporting steps on an edit.
        var declared = parsed.Select(static (r, _) => r.Diagnostics).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(declared.Combine(context.CompilationProvider),
            static (spc, x) => { foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right)); });

        var sites = parsed.Where(static r => r.Site is not null).Select(static (r, _) => r.Site!).Collect();
        var across = table.Select(static (t, _) => t.Problems).Combine(sites)
            .Select(static (x, _) =>
            {
                var bySite = x.Right.GroupBy(s => s.FullName).ToDictionary(g => g.Key, g => g.First());
                return new EquatableArray<DiagnosticInfo>(x.Left.Select(p => p.Locate(bySite)));
            })
            .WithTrackingName(TrackingNames.CrossDiagnostics);
        context.RegisterSourceOutput(across.Combine(context.CompilationProvider),
            static (spc, x) => { foreach (var d in x.Left) spc.ReportDiagnostic(d.ToDiagnostic(x.Right)); });
    }

    /// <summary>Unique per class: its namespace and containing types are part of it (two classes Web in two namespaces are two
    /// files).</summary>
    /// <remarks>
    /// Without the '@' of verbatim identifiers (<c>@event</c>), which hint names may not hold, and never
    /// <c>TendApp.g.cs</c>, the app's own (a service class named TendApp in the global namespace).
    /// </remarks>
    internal static string HintName(ServiceModel m)
    {
        var name = m.DisplayName.Replace("@", "");
        return name == "TendApp" ? "TendApp.Service.g.cs" : $"{name}.g.cs";
    }
}

/// <summary>Names of the tracked pipeline steps (for the caching tests).</summary>
public static class TrackingNames
{
    public const string Parsed = nameof(Parsed);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Models = nameof(Models);
    public const string Table = nameof(Table);
    public const string App = nameof(App);
    public const string CrossDiagnostics = nameof(CrossDiagnostics);
    public const string UserTendApp = nameof(UserTendApp);
    public const string HttpEndpoint = nameof(HttpEndpoint);
    public const string HttpAddress = nameof(HttpAddress);
}
