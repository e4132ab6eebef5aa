using System.Text.RegularExpressions;

namespace Tend.Tests;

/// <summary>What the README says about Tend itself stays true.</summary>
[Trait("Category", "Unit")]
public class ReadmeTests
{
    private static string[] Readme => File.ReadAllLines(Path.Combine(TendRun.RepoRoot, "README.md"));

    [Fact]
    public void The_option_list_is_the_one_help_prints()
    {
        var lines = Readme;
        var heading = Array.IndexOf(lines, "## Options");
        Assert.True(heading >= 0, "the README has no '## Options' section");
        var open = Array.FindIndex(lines, heading, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var block = lines[(open + 1)..close];
        Assert.Equal("tend [options] [--] [command line]...", block[0]);
        // Equal line by line: copy the "Options:" lines of `tend --help` into the README when this fails.
        Assert.Equal(TendHost.OptionLines().ToArray(), block[1..]);
    }

    [Fact]
    public void The_event_list_is_every_event_Tend_writes()
    {
        // The README's "**Events.**" paragraph names each event in backquotes, in the order of EventNames.All.
        var text = string.Join(" ", Readme);
        var start = text.IndexOf("`event` (", StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has no list of events (\"`event` (…)\")");
        var end = text.IndexOf("), `pid`", start, StringComparison.Ordinal);
        var listed = Regex.Matches(text[start..end], "`([a-z-]+)`").Select(m => m.Groups[1].Value).Skip(1).ToArray();
        Assert.Equal(Logging.EventNames.All.ToArray(), listed);
    }

    [Fact]
    public void No_command_needs_sudo()
    {
        // Root containers and CI machines have no sudo; every command in the READMEs runs as root as written.
        var root = TendRun.RepoRoot;
        string[] docs = ["README.md", "src/Templates/content/tend-app/README.md", .. Directory.GetFiles(Path.Combine(root, "samples"),
            "README.md", SearchOption.AllDirectories), .. Directory.GetFiles(Path.Combine(root, "docs"), "*.md")];
        foreach (var doc in docs)
        {
            var inCode = false;
            foreach (var line in File.ReadLines(Path.Combine(root, doc)))
            {
                if (line.StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
                else if (inCode) Assert.False(Regex.IsMatch(line, @"(^|[\s;&|(])sudo\s"), $"{doc}: {line}");
            }
        }
    }
}
