using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

/// <summary>
/// <c>[assembly: HttpEndpoint("ADDRESS:PORT")]</c>: the generator checks the address at compile time (TEND028, under the
/// attribute) and carries it into the generated <c>TendApp.Run</c>, where it turns the endpoint on as <c>--http</c> would.
/// </summary>
[Trait("Category", "Unit")]
public class HttpEndpointTests
{
    private const string Service = """
        using Tend;
        [Service("web")] public partial class Web { public Command Command => new("/bin/web"); }
        """;

    private static (string App, (string Id, string Text, string Message)[] Diagnostics) Generate(string assemblyAttribute)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(assemblyAttribute + "\n" + Service);
        GeneratorHarness.AssertGeneratedCodeIsClean(result, output, diagnostics);
        var app = result.Results.Single().GeneratedSources.Single(g => g.HintName == "TendApp.g.cs").SourceText.ToString();
        return (app, [.. diagnostics.Where(d => d.Id.StartsWith("TEND", StringComparison.Ordinal))
            .Select(d => (d.Id, d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length),
                d.GetMessage()))]);
    }

    [Fact]
    public void A_declared_address_reaches_the_run_and_the_export()
    {
        var (app, diagnostics) = Generate("""[assembly: Tend.HttpEndpoint("0.0.0.0:9100")]""");
        Assert.Empty(diagnostics);
        Assert.Contains("DeclaredArguments(Flags, Help) { Http = \"0.0.0.0:9100\" }", app);
        Assert.Contains("ServiceNames, Flags, \"0.0.0.0:9100\");", app);
    }

    [Fact]
    public void Without_the_attribute_the_app_is_as_before()
    {
        var (app, diagnostics) = Generate("");
        Assert.Empty(diagnostics);
        Assert.DoesNotContain("Http =", app);
        Assert.Contains("ServiceNames, Flags);", app);
    }

    [Theory]
    [InlineData("localhost:9100", "not an IP address")]
    [InlineData("0.0.0.0", "is not an address and port")]
    [InlineData("0.0.0.0:70000", "is not a port")]
    [InlineData("::1:9100", "not an IP address")]
    public void TEND028_a_bad_address_is_refused_under_the_attribute(string address, string message)
    {
        var (app, diagnostics) = Generate($"[assembly: Tend.HttpEndpoint(\"{address}\")]");
        var d = Assert.Single(diagnostics);
        Assert.Equal(("TEND028", $"Tend.HttpEndpoint(\"{address}\")"), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
        Assert.DoesNotContain("Http =", app);
    }

    [Fact]
    public void The_pipeline_is_cached_on_an_unrelated_edit()
    {
        var compilation = GeneratorHarness.Compilation("""[assembly: Tend.HttpEndpoint("127.0.0.1:9100")]""" + "\n" + Service);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var again = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        foreach (var name in new[] { TrackingNames.HttpEndpoint, TrackingNames.HttpAddress })
            Assert.All(again.TrackedSteps[name].SelectMany(s => s.Outputs),
                o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Reason}"));
    }
}
