namespace Tend.Generators.Tests;

[Trait("Category", "Unit")]
public class SnapshotTests
{
    [Fact]
    public void Seed_services()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(Sources.Seed);
        Assert.Empty(diagnostics);
        var generated = result.Results.Single().GeneratedSources;
        Assert.Equal(["App.Apache.g.cs", "App.Sshd.g.cs", "TendApp.g.cs"], generated.Select(g => g.HintName).Order());
        foreach (var g in generated) Snapshot.Verify(nameof(Seed_services), g.HintName, g.SourceText.ToString());
    }

    [Fact]
    public void Every_option_type()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(Sources.AllTypes);
        Assert.Empty(diagnostics);
        var app = result.Results.Single().GeneratedSources.Single(g => g.HintName == "TendApp.g.cs");
        Snapshot.Verify(nameof(Every_option_type), app.HintName, app.SourceText.ToString());
    }

    [Fact]
    public void Output_is_deterministic_whatever_the_file_order()
    {
        var parts = Sources.AllTypes.Split("[Service(\"worker\"");
        var a = GeneratorHarness.Run(parts[0], "using Tend; namespace App; [Service(\"worker\"" + parts[1]).Result;
        var b = GeneratorHarness.Run("using Tend; namespace App; [Service(\"worker\"" + parts[1], parts[0]).Result;
        string App(Microsoft.CodeAnalysis.GeneratorDriverRunResult r) => r.Results.Single().GeneratedSources.Single(g =>
            g.HintName == "TendApp.g.cs").SourceText.ToString();
        Assert.Equal(App(a), App(b));
    }
}
