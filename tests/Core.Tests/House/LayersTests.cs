using System.Text.RegularExpressions;

namespace Tend.Tests.House;

/// <summary>
/// The layers of src/Core reach one way: Posix and Logging (the system and the sinks) know nothing of supervision,
/// control, arguments or export; Supervision nothing of the control plane, the command line or export; Arguments
/// nothing of the control plane. Read from the sources: each file's <c>using</c> lines and its qualified type
/// references (<c>Control.ControlServer</c>, <c>Tend.Export.X</c>), comments and string literals left out.
/// </summary>
[Trait("Category", "Unit")]
public partial class LayersTests
{
    /// <summary>For each folder of src/Core, the namespaces (folders) it must not reach.</summary>
    private static readonly Dictionary<string, string[]> Forbidden = new()
    {
        ["Posix"] = ["Supervision", "Control", "Arguments", "Export"],
        ["Logging"] = ["Supervision", "Control", "Arguments", "Export"],
        ["Supervision"] = ["Control", "Arguments", "Export"],
        ["Arguments"] = ["Control"],
    };

    private static readonly string[] Layers = ["Posix", "Logging", "Supervision", "Control", "Arguments", "Export"];

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|"""""".*?""""""|\$?""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)+'",
        RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?Tend\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?:Tend\.)?(\w+)\.[A-Z]")]
    private static partial Regex QualifiedName();

    /// <summary>The layers a piece of C# reaches: its <c>using Tend.X</c> lines and <c>X.Type</c> / <c>Tend.X.Type</c> names.</summary>
    internal static SortedSet<string> Reached(string source)
    {
        var code = CommentOrString().Replace(source, " ");
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in UsingLine().Matches(code)) reached.Add(m.Groups[1].Value);
        foreach (Match m in QualifiedName().Matches(code)) reached.Add(m.Groups[1].Value);
        reached.IntersectWith(Layers);
        return reached;
    }

    [Fact]
    public void The_reader_finds_usings_and_qualified_names_and_skips_comments_and_strings()
    {
        Assert.Equal(["Control", "Posix"], Reached("using Tend.Posix;\nvar p = Control.ControlServer.ConfiguredPath;"));
        Assert.Equal(["Export", "Logging"], Reached("using static Tend.Logging.PlainMessage;\nTend.Export.Orchestration.Apply(s);"));
        Assert.Empty(Reached("// Control.ControlServer\nvar s = \"Export.Yaml\"; /* Supervision.Supervisor */ x.Control.Y();"));
    }

    [Fact]
    public void Each_folder_of_src_Core_reaches_only_the_layers_below_it()
    {
        var root = Path.Combine(TendRun.RepoRoot, "src/Core");
        var wrong = new List<string>();
        foreach (var (folder, forbidden) in Forbidden)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories).ToList();
            Assert.NotEmpty(files);
            foreach (var file in files)
                foreach (var layer in Reached(File.ReadAllText(file)).Intersect(forbidden))
                    wrong.Add($"{Path.GetRelativePath(root, file)} reaches {layer}");
        }
        Assert.True(wrong.Count == 0,
            "layers reached the wrong way (Posix, Logging < Supervision < Control, Arguments < Export):\n" + string.Join("\n", wrong));
    }
}
