using Tend.Arguments;

namespace Tend.Core.Tests.Arguments;

/// <summary>Sizes up to the maximum (1 GiB) in every unit that can write it, and a refusal that says the range.</summary>
[Trait("Category", "Unit")]
public class ByteSizeTests
{
    [Theory]
    [InlineData("1G", 1 << 30)]
    [InlineData("1g", 1 << 30)]
    [InlineData("1GB", 1 << 30)]
    [InlineData("1GiB", 1 << 30)]
    [InlineData("1024M", 1 << 30)]
    [InlineData("1048576k", 1 << 30)]
    [InlineData("1073741824", 1 << 30)]
    [InlineData("25", 25)]
    public void The_maximum_is_accepted_in_any_unit(string text, int bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var b));
        Assert.Equal(bytes, b);
        Assert.Equal(text == "25" ? "25" : "1GiB", ByteSize.Format(b));
    }

    [Theory]
    [InlineData("2G")]
    [InlineData("1025M")]
    [InlineData("1073741825")]
    [InlineData("1T")]
    [InlineData("99999999999999999999G")]
    public void Above_the_maximum_is_refused(string text) => Assert.False(ByteSize.TryParse(text, out _));

    /// <summary>The message of a refused --log-buffer gives the range: its minimum, its maximum and that 1G is a size.</summary>
    [Theory]
    [InlineData("1025M")]
    [InlineData("web=2G")]
    [InlineData("lots")]
    public void A_refused_log_buffer_says_the_range(string value)
    {
        var e = Assert.Throws<UsageException>(() => HostOptions.Parse(["--log-buffer", value, "sleep 1"]));
        Assert.Contains($"option '--log-buffer' got '{value}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("at most 1GiB", e.Message, StringComparison.Ordinal);
        Assert.Contains("1G", e.Message, StringComparison.Ordinal);
        Assert.Contains("at least 25 bytes when not 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_buffer_of_1G_is_taken()
    {
        Assert.Equal(1 << 30, HostOptions.Parse(["--log-buffer", "1G", "sleep 1"]).Supervisor.LogBuffer);
        Assert.Equal([("web", 1 << 30)], HostOptions.Parse(["--log-buffer", "web=1GiB", "sleep 1"]).LogBuffers);
    }
}
