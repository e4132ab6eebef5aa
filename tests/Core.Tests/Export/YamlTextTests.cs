using Tend.Export;

namespace Tend.Tests.Export;

/// <summary>Strings are written so that they read back as the same strings (Kubernetes fails on a number where a string belongs).</summary>
[Trait("Category", "Unit")]
public class YamlTextTests
{
    [Theory]
    [InlineData("web", true)]
    [InlineData("--web-port", true)]
    [InlineData("http://web:8080", true)]
    [InlineData("8080", false)]
    [InlineData("1e3", false)]
    [InlineData("0x1f", false)]
    [InlineData("12:30", false)]
    [InlineData("2026-01-01", false)]
    [InlineData("-1", false)]
    [InlineData("yes", false)]
    [InlineData("On", false)]
    [InlineData("null", false)]
    [InlineData("~", false)]
    [InlineData("", false)]
    [InlineData(" padded", false)]
    [InlineData("1s", true)]
    public void A_plain_scalar_is_used_only_when_it_reads_back_as_the_string(string text, bool plain) =>
        Assert.Equal(plain, YamlText.ReadsAsString(text));

    [Fact]
    public void Look_alikes_are_quoted_and_comments_go_above_their_key()
    {
        var doc = new YamlMap()
            .Add("args", YamlSeq.Words(["--port", "8080", "yes", "a: b", "it's"]))
            .Add("port", new YamlMap().Add("count", 8080).Comment("why"));
        Assert.Equal("# top\nargs: [--port, \"8080\", \"yes\", \"a: b\", \"it's\"]\n# why\nport:\n  count: 8080\n", YamlText.Write([doc],
            ["top"]));
    }

    public static readonly string[] Words =
    [
        "8080", "yes", "No", "a: b", "a:b", "it's", "say \"hi\"", "back\\slash", "two\nlines", "tab\there", "cr\rhere", "bell\a", "#hash",
            "x #y",
        "[x]", "{x}", "-", "- x", "--web-port=8080", "?", "*star", "&anchor", "!tag", "%p", "@at", "`tick", "|", ">", "ünïcødé ✓", "",
        " pad", "pad ", "null", "~", "0o17", "0x1F", "1_000", "1e3", ".5", "-.inf", "12:30:00", "2026-11-30", "http://web:8080", "a,b", "=",
        "<<", "y", "SIGTERM", "1s",
    ];

    [Fact]
    public void Every_string_reads_back_as_itself_with_YamlDotNet()
    {
        var block = new YamlSeq();
        var map = new YamlMap();
        foreach (var w in Words)
        {
            block.Add((YamlScalar)w);
            if (w.Length > 0) map.Add(w, w);
        }
        var yaml = YamlText.Write([new YamlMap().Add("flow", YamlSeq.Words(Words)).Add("block", block).Add("map", map)], ["a comment"]);
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlDotNet.RepresentationModel.YamlMappingNode)stream.Documents[0].RootNode;
        foreach (var key in new[] { "flow", "block" })
        {
            var read = ((YamlDotNet.RepresentationModel.YamlSequenceNode)root[key]).Children
                .Cast<YamlDotNet.RepresentationModel.YamlScalarNode>().ToList();
            Assert.Equal(Words, read.Select(n => n.Value));
            // A plain scalar is one a schema could type: only words that read as strings are left plain.
            Assert.All(read.Where(n => n.Style == YamlDotNet.Core.ScalarStyle.Plain), n => Assert.True(YamlText.ReadsAsString(n.Value!),
                n.Value));
        }
        var pairs = ((YamlDotNet.RepresentationModel.YamlMappingNode)root["map"]).Children;
        Assert.All(pairs,
            p =>
            Assert.Equal(((YamlDotNet.RepresentationModel.YamlScalarNode)p.Key).Value,
                ((YamlDotNet.RepresentationModel.YamlScalarNode)p.Value).Value));
        Assert.Equal(Words.Count(w => w.Length > 0), pairs.Count);
    }
}
