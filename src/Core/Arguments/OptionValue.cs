using System.ComponentModel;

namespace Tend.Arguments;

/// <summary>
/// An option's bound value, or none: the generated constructor of a service assigns only the options given, so
/// the property initializers run once and keep their value otherwise.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct OptionValue<T>(bool isSet, T value)
{
    /// <summary>The option was given on the command line or in the environment.</summary>
    public bool IsSet { get; } = isSet;

    /// <summary>The value given (meaningless unless <see cref="IsSet"/>).</summary>
    public T Value { get; } = value;
}
