using Tend.Export;

namespace Tend.Tests.Export;

/// <summary>Strings are written so that they read back as the same strings (Kubernetes fails on a number where a string belongs).</summary>
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
        Assert.Equal("# top\nargs: [--port, \"8080\", \"yes\", 'a: b', it's]\n# why\nport:\n  count: 8080\n", YamlText.Write([doc], ["top"]));
    }
}
