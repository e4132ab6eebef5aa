using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

[Trait("Category", "Unit")]
public class CachingTests
{
    private static readonly string[] Tracked = [TrackingNames.Parsed, TrackingNames.Diagnostics, TrackingNames.Models, TrackingNames.Table];

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
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {name} re-ran: {reason}");
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void An_edit_elsewhere_leaves_the_service_table_cached()
    {
        var compilation = GeneratorHarness.Compilation(Sources.Seed, "class Unrelated { }");
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Unrelated { int x; }", path: "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Table].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
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
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            AssertNoCompilerObjects(p.GetValue(value), step, seen);
    }
}
