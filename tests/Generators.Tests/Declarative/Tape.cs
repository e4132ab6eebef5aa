namespace Tend.Generators.Tests.Declarative;

/// <summary>
/// A stream of choices read from a list of numbers that CsCheck generates and shrinks (the shape of Hypothesis's
/// choice sequences): every choice takes the next number modulo its count, and an exhausted tape answers 0. The
/// first option of every choice is the simplest one, so a shrunk tape (shorter, smaller numbers) is a simpler
/// declaration, and a failing case shrinks to its core without a shrinker written for declarations.
/// </summary>
internal sealed class Tape(int[] numbers)
{
    private int _next;

    /// <summary>A choice among <paramref name="count"/> (0 when the tape is exhausted).</summary>
    public int Choose(int count) => _next < numbers.Length ? numbers[_next++] % count : 0;

    /// <summary>One of <paramref name="items"/>, the first being the simplest.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Choose(items.Count)];

    /// <summary>True with about one chance in <paramref name="oneIn"/> (false when exhausted).</summary>
    public bool Chance(int oneIn) => Choose(oneIn) == oneIn - 1;
}
