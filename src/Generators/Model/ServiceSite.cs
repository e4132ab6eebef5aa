using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Tend.Generators.Model;

/// <summary>Where a declaration is, without holding the syntax tree.</summary>
public sealed record LocationInfo(string Path, TextSpan Span, LinePositionSpan Lines)
{
    public Location ToLocation() => Location.Create(Path, Span, Lines);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan,
            location.GetLineSpan().Span);
}

/// <summary>Where an option of a service is declared.</summary>
public sealed record OptionSite(string Property, LocationInfo? Location);

/// <summary>
/// Where a service is declared: read only by the diagnostics of checks across services (a duplicate name, a
/// cycle, a flag two services share), never by the emitter. It changes with every edit above the declaration; the
/// model does not.
/// </summary>
public sealed record ServiceSite(string FullName, LocationInfo? Attribute, EquatableArray<OptionSite> Options);
