namespace Tend;

/// <summary>
/// A typed option of a service, settable as <c>--SERVICE-OPTION VALUE</c> or <c>TEND_SERVICE_OPTION</c>; its
/// default is the property's initializer and its help text the XML doc comment. Types: string, bool, int, long,
/// double, TimeSpan, enums, their nullable forms, and string[] (repeatable).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class OptionAttribute : Attribute
{
    /// <summary>Uses the property's name in kebab case (<c>MaxConnections</c> → <c>--web-max-connections</c>).</summary>
    public OptionAttribute() { }

    /// <summary>Uses <paramref name="name"/> as the option's part of the flag.</summary>
    public OptionAttribute(string name) => Name = name;

    /// <summary>The option's part of the flag, or null for the property's name in kebab case.</summary>
    public string? Name { get; }
}
