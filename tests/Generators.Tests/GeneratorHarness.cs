using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Tend.Generators.Tests;

/// <summary>Compiles a snippet with the real generator, as the compiler would in a user's project.</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.",
                StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(Command).Assembly.Location))
            .ToArray();

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("UserApp",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create([new ServiceGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation with the generated sources added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(params string[] sources)
    {
        var compilation = Compilation(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>
    /// The rule of issue 16, checked on every run a test makes: the generator never crashes (no CS8785, no exception)
    /// and nothing it emits has an error or a warning: a problem is a TEND diagnostic on the user's code, never a
    /// C# error inside generated code.
    /// </summary>
    public static void AssertGeneratedCodeIsClean(GeneratorDriverRunResult result, Compilation output,
        ImmutableArray<Diagnostic> diagnostics)
    {
        Assert.DoesNotContain(diagnostics, d => d.Id == "CS8785");
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        var generated = result.GeneratedTrees.ToHashSet();
        var inGenerated = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } t && generated.Contains(t))
            .Select(d =>
                $"{d.Id} in {Path.GetFileName(d.Location.SourceTree!.FilePath)} at {d.Location.GetLineSpan().StartLinePosition}: " +
                    $"{d.GetMessage()}")
            .ToList();
        Assert.True(inGenerated.Count == 0, "generated code has problems:\n" + string.Join("\n", inGenerated));
    }

    /// <summary>Compiles snippet + generated code, loads it into a collectible context and returns the assembly.</summary>
    public static Assembly Load(params string[] sources)
    {
        var (result, output, diagnostics) = Run(sources);
        Assert.Empty(diagnostics);
        AssertGeneratedCodeIsClean(result, output, diagnostics);
        using var pe = new MemoryStream();
        var emit = output.Emit(pe);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        pe.Position = 0;
        // Tend.dll itself resolves from the default context, so the test can use its types directly.
        var alc = new AssemblyLoadContext("user-app", isCollectible: true);
        return alc.LoadFromStream(pe);
    }
}
