namespace Tend.Arguments;

/// <summary>How a flag takes its value.</summary>
internal enum FlagArity
{
    /// <summary>A switch: <c>--x</c> is true; <c>--x=WORD</c> or <c>--x WORD</c> with a bool word (true/false, yes/no, on/off,
    /// 1/0).</summary>
    Bool,

    /// <summary>A value: <c>--x VALUE</c> or <c>--x=VALUE</c>; a next argument that is a flag (<c>--y</c>) is not a value.</summary>
    Value,
}

/// <summary>
/// One row of an argument grammar: the flag, how it takes its value, the value's name and the help line. Every
/// parser of Tend's arguments reads its flags from such a table through <c>ArgumentReader</c>, and prints its
/// <c>--help</c> from the same rows.
/// </summary>
/// <param name="Name">The flag, e.g. <c>--stop-timeout</c>.</param>
/// <param name="Arity">How it takes its value.</param>
/// <param name="ValueName">The value's name in help and errors (<c>DURATION</c>), null for a switch.</param>
/// <param name="Help">What it does, one line.</param>
/// <param name="Repeatable">It may be given more than once (each time adds one).</param>
internal sealed record FlagSpec(string Name, FlagArity Arity, string? ValueName, string Help, bool Repeatable = false)
{
    /// <summary>A switch.</summary>
    public static FlagSpec Switch(string name, string help) => new(name, FlagArity.Bool, null, help);

    /// <summary>A flag with a value.</summary>
    public static FlagSpec Valued(string name, string valueName, string help, bool repeatable = false) => new(name, FlagArity.Value,
        valueName, help, repeatable);

    /// <summary>The value's name, or null for a switch (the shape help lines use).</summary>
    public string? Value => ValueName;

    /// <summary>The row as <c>--help</c> prints it: the flag and its value's name in a column of <paramref name="width"/>, then the
    /// help.</summary>
    public string HelpLine(int width) => $"  {(ValueName is null ? Name : Name + " " + ValueName).PadRight(width)} {Help}";
}
