namespace Tend.Control;

/// <summary>One control verb: its name, the words it takes, and how <c>--help</c> and errors describe it.</summary>
/// <param name="Verb">The verb.</param>
/// <param name="Name">As typed: <c>tend NAME …</c>, and the first word of a request line.</param>
/// <param name="MinWords">Fewest words of a request line, the verb included.</param>
/// <param name="MaxWords">Most words of a request line, the verb included (a timeout counts as one).</param>
/// <param name="Usage">The request line's grammar, e.g. <c>signal NAME SIGNAL</c>.</param>
/// <param name="ClientUsage">The client's arguments, as <c>--help</c> shows them.</param>
/// <param name="Help">What it does, as <c>--help</c> says it.</param>
/// <param name="TakesTimeout">It waits for its goal, at most a timeout (<c>--timeout D</c>).</param>
internal sealed record ControlVerbInfo(ControlVerb Verb, string Name, int MinWords, int MaxWords, string Usage, string ClientUsage,
    string Help, bool TakesTimeout)
{
    /// <summary>Whether a request line may have <paramref name="words"/> words.</summary>
    public bool Accepts(int words) => words >= MinWords && words <= MaxWords;
}
