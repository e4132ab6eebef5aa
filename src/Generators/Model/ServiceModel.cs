namespace Tend.Generators.Model;

/// <summary>The kinds of option type the binder supports.</summary>
public enum OptionKind { String, Boolean, Int32, Int64, Double, TimeSpan, Enum, StringArray }

/// <summary>One [Option] property (declared on the class or inherited from a base class).</summary>
public sealed record OptionModel(
    string Property,
    string Flag,
    string Env,
    OptionKind Kind,
    string Type,
    bool Nullable,
    bool Required,
    EquatableArray<string> EnumMembers,
    string? Summary);

/// <summary>How a <see cref="SettingModel"/>'s value is written in C#.</summary>
public enum SettingKind { Enum, Milliseconds, Integer, Boolean, String }

/// <summary>
/// One setting the declaration gives, to be set on the ServiceSpec (a setting left out is not emitted: the
/// ServiceSpec's default, from Tend.ServiceDefaults, applies). Enum values are member names, e.g. <c>Restart.OnFailure</c>.
/// </summary>
public sealed record SettingModel(string Property, SettingKind Kind, string Value);

/// <summary>
/// One [Service] class, as the emitter needs it: plain values only, and no location, so an edit that moves a
/// declaration (a comment line above it) leaves the model equal and the generated code cached. Where things are
/// lives in <see cref="ServiceSite"/>, which only the diagnostics read.
/// </summary>
public sealed record ServiceModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string FullName,
    string Name,
    EquatableArray<string> DependsOn,
    bool OneShot,
    bool Critical,
    bool Daemonizes,
    EquatableArray<SettingModel> Settings,
    bool HasReady,
    bool DeclaresConstructor,
    EquatableArray<OptionModel> Options,
    string? Summary,
    string? Schedule = null,
    bool HasAlive = false)
{
    /// <summary>The name as written in messages: <c>App.Web</c>.</summary>
    public string DisplayName => FullName.StartsWith("global::", System.StringComparison.Ordinal) ? FullName.Substring(8) : FullName;

    /// <summary>[Service(Stdin = true)]: it reads the container's stdin.</summary>
    public bool Stdin { get; init; }

    /// <summary>A base class has a member named ServiceName, which this class's own hides (<c>new</c>).</summary>
    public bool HidesServiceName { get; init; }
}
