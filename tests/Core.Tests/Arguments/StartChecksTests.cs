using Tend.Arguments;

namespace Tend.Core.Tests.Arguments;

/// <summary>What Tend refuses before anything starts, and how it words a user's exception (issue 25's new-user kinds).</summary>
[Trait("Category", "Unit")]
public class StartChecksTests
{
    [Fact]
    public void A_liveness_command_that_cannot_run_is_refused_at_start_like_a_readiness_command()
    {
        // Was: the healthy service was restarted as unhealthy every 1.5 s.
        var alive = new ServiceSpec("web", new Command("/bin/sh")) { Alive = Liveness.Run(new Command("/no/such/program")) };
        var ready = new ServiceSpec("web", new Command("/bin/sh")) { Ready = Readiness.Run(new Command("/no/such/program")) };
        Assert.Equal("the liveness check of service 'web': '/no/such/program' does not exist: install it, or correct the path",
            Assert.Throws<UsageException>(() => ProgramCheck.Verify([alive])).Message);
        Assert.Equal("the readiness check of service 'web': '/no/such/program' does not exist: install it, or correct the path",
            Assert.Throws<UsageException>(() => ProgramCheck.Verify([ready])).Message);
        ProgramCheck.Verify([new ServiceSpec("web", new Command("/bin/sh")) { Alive = Liveness.Run(new Command("/bin/true")) }]);
    }

    [Fact]
    public void A_user_exception_is_english_in_one_line_and_names_the_parameter()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Readiness.Tcp(70000));
        Assert.Equal("a TCP port is a number from 1 to 65535 (parameter 'port', got 70000)", OptionParsers.Describe(range));
        // What a NativeAOT build without resource strings gives: keys, not sentences (the runtime's own exception, made here).
#pragma warning disable CA2201
        Assert.Equal("a null reference (a nullable option or member left null?)",
            OptionParsers.Describe(new NullReferenceException("Arg_NullReferenceException")));
#pragma warning restore CA2201
        Assert.Equal("an argument is not valid (parameter 'port')", OptionParsers.Describe(new ArgumentException("Arg_ParamName_Name",
            "port")));
        Assert.Equal("no binary second line", OptionParsers.Describe(new InvalidOperationException("no binary\nsecond line")));
    }
}
