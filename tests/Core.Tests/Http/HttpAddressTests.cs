using Tend.Arguments;
using Tend.Http;

namespace Tend.Tests.Http;

/// <summary><c>--http ADDRESS:PORT</c>: what is taken, what is refused and how it is said.</summary>
[Trait("Category", "Unit")]
public class HttpAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1:9100")]
    [InlineData("0.0.0.0:0", "0.0.0.0:0")]
    [InlineData("[::]:9100", "[::]:9100")]
    [InlineData("[::1]:80", "[::1]:80")]
    public void Addresses_with_a_port_are_taken(string text, string shown)
    {
        Assert.Equal(shown, HttpAddress.Parse(text, out var problem)?.ToString());
        Assert.Null(problem);
        Assert.Equal(shown, HostOptions.Parse(["--http", text]).Http!.ToString());
    }

    [Theory]
    [InlineData("9100", "is not an address and port")]
    [InlineData(":9100", "is not an address and port")]
    [InlineData("localhost:9100", "not an IP address")]
    [InlineData("10.1:9100", "not an IP address")]
    [InlineData("::1:9100", "not an IP address")]
    [InlineData("127.0.0.1:", "is not a port")]
    [InlineData("127.0.0.1:65536", "is not a port")]
    [InlineData("127.0.0.1:-1", "is not a port")]
    public void Anything_else_is_a_usage_error_naming_the_option(string text, string message)
    {
        var e = Assert.Throws<UsageException>(() => HostOptions.Parse(["--http", text]));
        Assert.StartsWith("option '--http': ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void No_http_turns_a_declared_endpoint_off_and_both_contradict()
    {
        Assert.True(HostOptions.Parse(["--no-http"]).NoHttp);
        Assert.Null(HostOptions.Parse([]).Http);
        Assert.Contains("contradict", Assert.Throws<UsageException>(() => HostOptions.Parse(["--no-http", "--http",
            "127.0.0.1:1"])).Message);
    }
}
