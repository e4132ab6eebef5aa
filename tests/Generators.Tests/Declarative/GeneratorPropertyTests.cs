using CsCheck;
using Xunit.Abstractions;

namespace Tend.Generators.Tests.Declarative;

/// <summary>
/// Random declarations, compiled with the real generator (<see cref="GeneratorProperty"/>). The fast lane runs
/// <see cref="FastLaneCases"/> cases, the full lane 1000; <c>TEND_PROPERTY_CASES=20000</c> is the nightly size. A failure prints
/// CsCheck's seed (replay it with <c>TEND_PROPERTY_SEED=…</c>) and the shrunk declarations; each kind it found is
/// a named test in <see cref="GeneratorKindsTests"/>.
/// </summary>
[Trait("Category", "Unit")]
public class GeneratorPropertyTests(ITestOutputHelper output)
{
    /// <summary>Cases in the fast lane (~0.1 s each on one core); the full lane (scripts/test.sh) draws 1000.</summary>
    public const int FastLaneCases = 60;

    [Fact]
    public void Random_declarations_build_or_get_a_TEND_diagnostic_at_the_users_code()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("TEND_PROPERTY_CASES"), out var n) && n > 0 ? n : FastLaneCases;
        var seed = Environment.GetEnvironmentVariable("TEND_PROPERTY_SEED");
        int checkedCases = 0, discarded = 0, built = 0;
        // Two tapes: one decides the declarations, the other the values given to the binder.
        Gen.Int[0, 1 << 20].Array[0, 160].Select(Gen.Int[0, 1 << 20].Array[0, 80]).Sample((declarations, values) =>
        {
            var d = Declarations.From(new Tape(declarations));
            var valid = GeneratorProperty.Check(d, new Tape(values), out var builds);
            Interlocked.Increment(ref valid ? ref checkedCases : ref discarded);
            if (builds) Interlocked.Increment(ref built);
        }, seed: seed, iter: cases, threads: 1, writeLine: output.WriteLine);
        output.WriteLine(string.Join(", ", GeneratorProperty.Seen.OrderBy(kv => kv.Key,
            StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine($"{checkedCases} cases checked ({built} built and bound), {discarded} discarded as invalid C# without the " +
            $"generator");
        Assert.True(checkedCases >= cases / 2,
            $"only {checkedCases} of {cases} cases were valid C#: the declarations' generator needs fixing");
    }
}
