// Figures for the generator: its time on a compilation with 300 services (cold and after an edit), and the
// generated binder's time to bind 50 options. Prints a markdown table.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Tend.Arguments;
using Tend.Generators;

var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) == "netstandard.dll")
    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
    .Append(MetadataReference.CreateFromFile(typeof(Tend.Command).Assembly.Location)).ToArray();

CSharpCompilation Compile(IEnumerable<string> sources) => CSharpCompilation.Create("Bench",
    sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"S{i}.cs")), references,
    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

string Service(int i, int options)
{
    var sb =
        new StringBuilder($"using Tend; namespace Bench;\n/// <summary>Service {i}.</summary>\n[Service(\"svc{i}\"{(i > 0 ? $", " +
            $"DependsOn = [typeof(S{i - 1})]" : "")}, StopTimeout = \"3s\")]\npublic partial class S{i}\n{{\n");
    for (var j =
        0; j < options; j++) sb.Append($"    /// <summary>Option {j}.</summary>\n    [Option] public int Opt{j} {{ get; init; }} = {j};\n");
    sb.Append($"    public Command Command => " +
        $"new(\"/bin/svc{i}\", " +
            $"{string.Join(", ", Enumerable.Range(0, options).Select(j => $"Opt{j}.ToString()").DefaultIfEmpty("\"x\""))});\n}}\n");
    return sb.ToString();
}

var rows = new List<(string, double, double, double, int, string)>();
void Row(string name, List<double> v, string unit)
{
    v.Sort();
    rows.Add((name, v[v.Count / 2], v[0], v[^1], v.Count, unit));
}

// 1. Generator on 300 services (2 options each), one file each.
var sources = Enumerable.Range(0, 300).Select(i => Service(i, 2)).ToList();
var trees = sources.Select((src, i) => CSharpSyntaxTree.ParseText(src, new CSharpParseOptions(LanguageVersion.Latest),
    path: $"S{i}.cs")).ToList();
var cold = new List<double>();
var warm = new List<double>();
var same = new List<double>();
for (var k = 0; k < 11; k++)
{
    // A fresh compilation each time: the timer includes the binding the generator makes the compiler do.
    var compilation = CSharpCompilation.Create("Bench", trees, references,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    var driver = CSharpGeneratorDriver.Create(new ServiceGenerator());
    var sw = Stopwatch.StartNew();
    driver = (CSharpGeneratorDriver)driver.RunGenerators(compilation);
    if (k > 0) cold.Add(sw.Elapsed.TotalMilliseconds); // the first run pays the JIT
    var result = driver.GetRunResult();
    // Warnings are expected: a chain of 300 services does not stop within docker stop's budget (TEND025), and none has a readiness check
    // (TEND026).
    if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)
        || result.Results[0].GeneratedSources.Length != 301) throw new InvalidOperationException("unexpected generator output");
    // An edit to one service's file, as in an IDE: the incremental pipeline re-parses that class only.
    var edited = compilation.ReplaceSyntaxTree(trees[0], CSharpSyntaxTree.ParseText(Service(0, 3),
        new CSharpParseOptions(LanguageVersion.Latest), path: "S0.cs"));
    sw.Restart();
    driver.RunGenerators(edited);
    if (k > 0) warm.Add(sw.Elapsed.TotalMilliseconds);
    sw.Restart();
    driver.RunGenerators(compilation);
    if (k > 0) same.Add(sw.Elapsed.TotalMilliseconds);
}
Row("generator, 300 services, first run", cold, "ms");
Row("generator, 300 services, after editing one", warm, "ms");
Row("generator, 300 services, run again unchanged", same, "ms");

// 2. Binding 50 options (5 services × 10) with the generated binder.
var bindSources = Enumerable.Range(0, 5).Select(i => Service(i, 10).Replace($"typeof(S{i - 1})",
    $"typeof(S{Math.Max(0, i - 1)})")).ToList();
bindSources[0] = bindSources[0].Replace(", DependsOn = [typeof(S0)]", "");
var bindCompilation = Compile(bindSources);
CSharpGeneratorDriver.Create(new ServiceGenerator()).RunGeneratorsAndUpdateCompilation(bindCompilation, out var output, out var diags);
using var pe = new MemoryStream();
var emit = output.Emit(pe);
if (!emit.Success) throw new InvalidOperationException(string.Join("\n", emit.Diagnostics));
pe.Position = 0;
var asm = new AssemblyLoadContext("bench", isCollectible: true).LoadFromStream(pe);
var bind = asm.GetType("TendApp")!.GetMethod("Bind")!.CreateDelegate<Func<string[], Func<string, string?>, BoundServices>>();
var bindArgs = Enumerable.Range(0, 5).SelectMany(i => Enumerable.Range(0,
    10).SelectMany(j => new[] { $"--svc{i}-opt{j}", (i * 10 + j).ToString(CultureInfo.InvariantCulture) })).ToArray();
Func<string, string?> noEnv = _ => null;
var check = bind(bindArgs, noEnv);
if (check.Services.Count != 5 || check.Services[4].Command.Arguments[9] != "49") throw new InvalidOperationException("binding went wrong");
var perCall = new List<double>();
for (var batch = 0; batch < 30; batch++)
{
    const int n = 2000;
    var sw = Stopwatch.StartNew();
    // .Services builds the specs (it is lazy since the binder stopped running services' code for --help): the
    // row measures binding and building, as it did when Bind built them at once.
    for (var k = 0; k < n; k++) _ = bind(bindArgs, noEnv).Services;
    perCall.Add(sw.Elapsed.TotalMicroseconds / n);
}
Row("bind 50 options (5 services × 10, all given on the command line), per call", perCall, "µs");

Console.WriteLine("| measure | median | min | max | n |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var (name, median, min, max, n, unit) in rows)
    Console.WriteLine(FormattableString.Invariant($"| {name} | {median:F1} {unit} | {min:F1} | {max:F1} | {n} |"));
