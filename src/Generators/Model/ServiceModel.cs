using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Tend.Generators.Model;

/// <summary>The kinds of option type the binder supports.</summary>
public enum OptionKind { String, Boolean, Int32, Int64, Double, TimeSpan, Enum, StringArray }

/// <summary>One [Option] property.</summary>
public sealed record OptionModel(
    string Property,
    string Flag,
    string Env,
    OptionKind Kind,
    string Type,
    bool Nullable,
    EquatableArray<string> EnumMembers,
    string? Summary);

/// <summary>Where a declaration is, without holding the syntax tree (for diagnostics that need every service).</summary>
public sealed record LocationInfo(string Path, TextSpan Span, LinePositionSpan Lines)
{
    public Location ToLocation() => Location.Create(Path, Span, Lines);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>One [Service] class, as the emitter needs it: plain values only.</summary>
public sealed record ServiceModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string FullName,
    string Name,
    int Restart,
    int KillMode,
    EquatableArray<string> DependsOn,
    bool OneShot,
    bool Critical,
    bool Daemonizes,
    int StopSignal,
    long StopTimeoutMs,
    long CleanupTimeoutMs,
    long BackoffMs,
    long BackoffMaxMs,
    long MinUptimeMs,
    int StartLimit,
    long StartWindowMs,
    string? MatchName,
    string? WorkingDirectory,
    string? User,
    bool HasReady,
    EquatableArray<OptionModel> Options,
    string? Summary,
    LocationInfo? Location)
{
    /// <summary>[Service(Stdin = true)]: it reads the container's stdin.</summary>
    public bool Stdin { get; init; }
}
