namespace Tend.Arguments;

/// <summary>What the generated binder tells Tend about the declared options: every flag (for suggestions on a typo) and the help
/// section.</summary>
/// <param name="Flags">Every flag the binder understands, such as <c>--sshd-port</c>.</param>
/// <param name="Help">Writes the services and options section of <c>--help</c>; called only for <c>--help</c>.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed record DeclaredArguments(IReadOnlyList<string> Flags, Func<string> Help)
{
    /// <summary>The HTTP endpoint's address declared with <c>[assembly: HttpEndpoint("ADDRESS:PORT")]</c> (checked at compile time), or
    /// null.</summary>
    public string? Http { get; init; }
}
