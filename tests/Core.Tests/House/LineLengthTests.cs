using System.Text.RegularExpressions;

namespace Tend.Tests.House;

/// <summary>
/// No line of C# is longer than .editorconfig's max_line_length. Left out: the generator's snapshots (*.verified.cs:
/// generated code, compared as it is) and raw string literals ("""…"""), which hold test data — declarations compiled
/// in memory — where a line break would change what is tested (a diagnostic's position).
/// </summary>
[Trait("Category", "Unit")]
public partial class LineLengthTests
{
    [GeneratedRegex(@"^\[\*\.cs\]\s*$(?:(?!^\[)[\s\S])*?^max_line_length\s*=\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex MaxLineLength();

    /// <summary>The lines of <paramref name="lines"/> longer than <paramref name="limit"/>, but those in raw string literals.</summary>
    internal static IEnumerable<int> Offenders(IReadOnlyList<string> lines, int limit)
    {
        var inRaw = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var quotes = Regex.Count(lines[i], "\"\"\"");
            var exempt = inRaw || quotes > 0;
            if (quotes % 2 == 1) inRaw = !inRaw;
            if (!exempt && lines[i].Length > limit) yield return i + 1;
        }
    }

    [Fact]
    public void The_reader_finds_long_lines_and_leaves_raw_strings_alone()
    {
        var x = new string('x', 20);
        Assert.Equal([1, 6], Offenders([x, "short", "\"\"\"", x, "\"\"\"", x], 10));
        Assert.Equal([2], Offenders(["var s = \"\"\"" + x + "\"\"\";", x], 10));
    }

    [Fact]
    public void No_line_is_longer_than_the_editorconfig_limit()
    {
        var root = TendRun.RepoRoot;
        var limit = int.Parse(MaxLineLength().Match(File.ReadAllText(Path.Combine(root, ".editorconfig"))).Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        var offenders = new List<string>();
        foreach (var folder in new[] { "src", "tests", "samples", "bench" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file);
                if (relative.Contains("/bin/") || relative.Contains("/obj/") || relative.EndsWith(".verified.cs", StringComparison.Ordinal))
                    continue;
                var lines = File.ReadAllLines(file);
                offenders.AddRange(Offenders(lines, limit).Select(n => $"{relative}:{n}: {lines[n - 1].Length} characters"));
            }
        Assert.True(offenders.Count == 0,
            $"{offenders.Count} lines are longer than {limit} characters (.editorconfig; python3 scripts/wrap-lines.py FILE… " +
            "wraps most):\n" + string.Join("\n", offenders));
    }
}
