using System.Linq;
using Microsoft.CodeAnalysis;

namespace Tend.Generators.Model;

/// <summary>A diagnostic as plain values (cacheable), turned into a real Diagnostic when reported.</summary>
public sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Args)
{
    /// <summary>
    /// A real diagnostic at a real source location (found again in <paramref name="compilation"/> by path), so
    /// the IDE squiggles the right text and <c>#pragma warning disable</c> applies; models never hold a Location.
    /// </summary>
    public Diagnostic ToDiagnostic(Compilation compilation)
    {
        var descriptor = DiagnosticDescriptors.All.First(d => d.Id == Id);
        var tree = Location is null ? null : compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == Location.Path);
        var location = tree is not null ? Microsoft.CodeAnalysis.Location.Create(tree, Location!.Span) : Location?.ToLocation();
        return Diagnostic.Create(descriptor, location, Args.ToArray<object>());
    }

    public static DiagnosticInfo Create(DiagnosticDescriptor d, Location? location, params string[] args) =>
        new(d.Id, LocationInfo.From(location), new EquatableArray<string>(args));
}

/// <summary>What the transform gives for one [Service] declaration: the model and its site, or neither, and the diagnostics.</summary>
public sealed record ParseResult(ServiceModel? Model, ServiceSite? Site, EquatableArray<DiagnosticInfo> Diagnostics);
