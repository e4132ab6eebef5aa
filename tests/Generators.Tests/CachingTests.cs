using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

[Trait("Category", "Unit")]
public class CachingTests
{
    private static readonly string[] Tracked = [TrackingNames.Parsed, TrackingNames.Diagnostics, TrackingNames.Models, TrackingNames.Table,
        TrackingNames.App, TrackingNames.CrossDiagnostics];

    private static bool Reused(IncrementalStepRunReason r) => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged;

    /// <summary>Inserts a line before the first occurrence of <paramref name="before"/> in the compilation's first tree.</summary>
    private static Compilation InsertLine(Compilation compilation, string before, string line)
    {
        var tree = compilation.SyntaxTrees.First();
        var text = tree.GetText();
        var at = text.ToString().IndexOf(before, StringComparison.Ordinal);
        Assert.True(at >= 0);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(text.Replace(at, 0, line + "\n")));
    }

    [Fact]
    public void A_comment_line_above_Service_leaves_the_model_and_TendApp_cached()
    {
        var compilation = GeneratorHarness.Compilation(Sources.Seed);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var result = driver.RunGenerators(InsertLine(compilation, "[Service(\"sshd\"",
            "// The SSH daemon.")).GetRunResult().Results.Single();

        // The declaration moved, so its parse ran again (its site has new positions) ...
        Assert.Contains(result.TrackedSteps[TrackingNames.Parsed].SelectMany(s => s.Outputs),
            o => o.Reason == IncrementalStepRunReason.Modified);
        // ... but the model holds no location: it is equal, and nothing downstream of it is redone.
        foreach (var name in new[] { TrackingNames.Models, TrackingNames.Table, TrackingNames.App })
            Assert.All(result.TrackedSteps[name].SelectMany(s => s.Outputs), o => Assert.True(Reused(o.Reason),
                $"step {name}: {o.Reason}"));
        var appOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value)
            .Where(s => s.Inputs.Any(i => i.Source.Name == TrackingNames.App
                || i.Source.Inputs.Any(j => j.Source.Name == TrackingNames.App))).ToList();
        Assert.NotEmpty(appOutputs);
        Assert.All(appOutputs.SelectMany(s => s.Outputs), o => Assert.True(Reused(o.Reason), $"TendApp output: {o.Reason}"));
        var partOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value).Where(s => s.Inputs.Any(i =>
            i.Source.Name == TrackingNames.Models)).ToList();
        Assert.NotEmpty(partOutputs);
        Assert.All(partOutputs.SelectMany(s => s.Outputs), o => Assert.True(Reused(o.Reason), $"service part output: {o.Reason}"));
    }

    [Fact]
    public void A_diagnostic_across_services_follows_a_declaration_that_only_moved()
    {
        var source = """
            using Tend;
            [Service("web")] public partial class A { public Command Command => new("/bin/a"); }
            [Service("web")] public partial class B { public Command Command => new("/bin/b"); }
            """;
        var compilation = GeneratorHarness.Compilation(source);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().Diagnostics.Single(d => d.Id == "TEND003").Location.GetLineSpan().StartLinePosition.Line);
        var moved = driver.RunGenerators(InsertLine(compilation, "[Service(\"web\")] public partial class B",
            "// B, a copy of A")).GetRunResult();
        var d = moved.Diagnostics.Single(d => d.Id == "TEND003");
        Assert.Equal(3, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal("Service(\"web\")", d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start,
            d.Location.SourceSpan.Length));
        Assert.All(moved.Results.Single().TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o => Assert.True(Reused(o.Reason)));
    }

    [Fact]
    public void A_second_run_on_a_clone_is_all_cached_and_models_hold_no_compiler_objects()
    {
        var compilation = GeneratorHarness.Compilation(Sources.AllTypes, Sources.Seed.Replace("namespace App;", "namespace Seed;"));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        driver = driver.RunGenerators(compilation.Clone());
        var second = driver.GetRunResult().Results.Single();

        foreach (var name in Tracked)
        {
            Assert.True(first.TrackedSteps.ContainsKey(name), $"step {name} is not tracked");
            foreach (var step in first.TrackedSteps[name])
                foreach (var (value, _) in step.Outputs)
                    AssertNoCompilerObjects(value, name, []);
            foreach (var step in second.TrackedSteps[name])
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {name} re-ran: {reason}");
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void An_edit_elsewhere_leaves_the_service_table_cached()
    {
        var compilation = GeneratorHarness.Compilation(Sources.Seed, "class Unrelated { }");
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Unrelated { int x; }", path: "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached,
            o.Reason));
    }

    private static void AssertNoCompilerObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel, $"step {step} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            foreach (var item in items) AssertNoCompilerObjects(item, step, seen);
            return;
        }
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p =>
            p.GetIndexParameters().Length == 0))
            AssertNoCompilerObjects(p.GetValue(value), step, seen);
    }
}
