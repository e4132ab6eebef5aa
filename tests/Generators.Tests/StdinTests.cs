using Tend.Arguments;

namespace Tend.Generators.Tests;

/// <summary>[Service(Stdin = true)]: the declared setting reaches the service's spec (and only that service's).</summary>
public class StdinTests
{
    private const string Source = """
        using Tend;

        namespace App;

        /// <summary>Reads what the container is given on stdin.</summary>
        [Service("repl", Stdin = true)]
        public partial class Repl { public Command Command => new("/bin/cat"); }

        /// <summary>Anything else.</summary>
        [Service("web")]
        public partial class Web { public Command Command => new("/bin/sleep", "1000"); }
        """;

    [Fact]
    public void A_declared_stdin_setting_reaches_the_service_spec()
    {
        var app = GeneratorHarness.Load(Source).GetType("TendApp")!;
        Func<string, string?> noEnvironment = _ => null;
        var bound = (BoundServices)app.GetMethod("Bind")!.Invoke(null, [Array.Empty<string>(), noEnvironment])!;
        Assert.True(bound.Services.Single(s => s.Name == "repl").Stdin);
        Assert.False(bound.Services.Single(s => s.Name == "web").Stdin);
    }
}
