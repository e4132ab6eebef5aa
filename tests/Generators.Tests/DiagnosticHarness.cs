using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

/// <summary>Runs the generator on a declaration and returns its TEND diagnostics: id, the source text under the span (where the
/// IDE puts the squiggle) and the message.</summary>
internal static class DiagnosticHarness
{
    public const string Usings = "using System; using Tend;\n";

    public static (string Id, string Text, string Message)[] Diagnose(string source)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(Usings + source);
        GeneratorHarness.AssertGeneratedCodeIsClean(result, output, diagnostics);
        return diagnostics.Where(d => d.Id.StartsWith("TEND", StringComparison.Ordinal))
            .Select(d => (d.Id, d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length),
                d.GetMessage()))
            .ToArray();
    }

    public static (string Id, string Text, string Message) Single(string source)
    {
        var all = Diagnose(source);
        Assert.True(all.Length == 1,
            $"expected one diagnostic, got: {string.Join("; ", all.Select(a => $"{a.Id} '{a.Text}': {a.Message}"))}");
        return all[0];
    }
}
