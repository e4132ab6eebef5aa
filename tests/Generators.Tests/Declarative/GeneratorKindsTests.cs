using System.Reflection;
using Microsoft.CodeAnalysis;
using Tend.Arguments;

namespace Tend.Generators.Tests.Declarative;

/// <summary>
/// One test per kind of declaration the property test (<see cref="GeneratorPropertyTests"/>) or a new user found
/// breaking the generator, shrunk to its core: each builds and binds, or gets one TEND diagnostic at the user's code.
/// </summary>
[Trait("Category", "Unit")]
public class GeneratorKindsTests
{
    private static (string Id, string Text, string Message)[] Errors(params string[] sources)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(sources);
        GeneratorHarness.AssertGeneratedCodeIsClean(result, output, diagnostics);
        return output.GetDiagnostics().Concat(diagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.Id.StartsWith("CS8",
            StringComparison.Ordinal))
            .Select(d => (d.Id, d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length),
                d.GetMessage()))
            .Distinct().ToArray();
    }

    private static BoundServices Bind(Assembly app, params string[] args)
    {
        Func<string, string?> none = _ => null;
        try { return (BoundServices)app.GetType("TendApp")!.GetMethod("Bind")!.Invoke(null, [args, none])!; }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static string Arg(BoundServices b) => b.Services.Single().Command.Arguments.Single();

    [Fact]
    public void Enum_members_equal_ignoring_case_bind_as_written_and_refuse_a_casing_that_names_neither()
    {
        // Was CS8510 in the generated switch: "gzip" twice.
        var app = GeneratorHarness.Load("""
            using Tend;
            public enum Codec { Gzip, GZip, Zstd }
            [Service("web")] public partial class Web { [Option] public Codec Codec { get; init; } public Command Command => new("/bin/web", Codec.ToString()); }
            """);
        Assert.Equal("GZip", Arg(Bind(app, "--web-codec", "GZip")));
        Assert.Equal("Gzip", Arg(Bind(app, "--web-codec=Gzip")));
        Assert.Equal("Zstd", Arg(Bind(app, "--web-codec", "ZSTD")));
        var error = Assert.Throws<UsageException>(() => Bind(app, "--web-codec", "gzip")).Message;
        Assert.Equal("option '--web-codec' got 'gzip': expected one of Gzip, GZip, zstd", error);
    }

    [Fact]
    public void Enum_members_named_by_keywords_bind()
    {
        // Was CS1001 and a cascade in TendApp.g.cs: Kind.event.
        var app = GeneratorHarness.Load("""
            using Tend;
            public enum Kind { @event, @class }
            [Service("web")] public partial class Web { [Option] public Kind Kind { get; init; } public Command Command => new("/bin/web", Kind.ToString()); }
            """);
        Assert.Equal("class", Arg(Bind(app, "--web-kind", "CLASS")));
    }

    [Fact]
    public void An_enum_without_members_is_TEND023()
    {
        // Was a switch without arms (CS8506 and a syntax error) in TendApp.g.cs.
        var e = Errors("""
            using Tend;
            [System.Flags] public enum Nothing { }
            [Service("web")] public partial class Web { [Option] public Nothing Mode { get; init; } public Command Command => new("/bin/web"); }
            """);
        Assert.Equal([("TEND023", "Mode",
            "Option 'Mode' has type 'Nothing', an enum without members: no value could be given; add members, or use another type")], e);
    }

    [Fact]
    public void A_non_nullable_option_left_null_warns_nowhere_in_generated_code()
    {
        // Was CS8618 in Web.g.cs, on the parameterless constructor the generator writes.
        var app = GeneratorHarness.Load("""
            using Tend;
            [Service("web")] public partial class Web { [Option] public string Host { get; init; } public Command Command => new("/bin/web", Host ?? "none"); }
            """);
        Assert.Equal("none", Arg(Bind(app)));
    }

    [Fact]
    public void A_service_named_TendApp_in_the_global_namespace_gets_TEND016_and_nothing_else()
    {
        // Was CS0262 and CS0708: the generated TendApp merged with the user's class.
        var e = Errors("""
            using Tend;
            [Service("web")] public partial class TendApp { public Command Command => new("/bin/web"); }
            [Service("db")] public partial class Db { public Command Command => new("/bin/db"); }
            """);
        Assert.Equal("TEND016", Assert.Single(e).Id);
    }

    [Fact]
    public void A_member_named_ServiceName_is_TEND021_and_a_base_class_one_is_hidden()
    {
        // Was CS0102 in Web.g.cs (the generator writes ServiceName into every service class).
        var e = Errors("""
            using Tend;
            [Service("web")] public partial class Web { public string ServiceName => "mine"; public Command Command => new("/bin/web"); }
            """);
        Assert.Equal([("TEND021", "ServiceName",
            "Service class 'Web' declares 'ServiceName', a member the generator writes into every service class: rename it")], e);
        // A service derived from a service: its ServiceName hides the base's (was CS0108 in generated code).
        var app = GeneratorHarness.Load("""
            using Tend;
            [Service("web")] public partial class Web { public virtual Command Command => new("/bin/web"); }
            [Service("web-2")] public partial class Web2 : Web { public override Command Command => new("/bin/web", ServiceName); }
            """);
        Assert.Equal("web-2", (string)app.GetType("Web2")!.GetField("ServiceName")!.GetValue(null)!);
    }

    [Theory]
    [InlineData("OneShot = true", "one-shot")]
    [InlineData("Daemonizes = true", "a daemon (Daemonizes)")]
    public void A_schedule_with_OneShot_or_Daemonizes_is_TEND022_at_the_schedule(string setting, string what)
    {
        var e = Errors($$"""
            using Tend;
            [Service("backup", Schedule = "0 3 * * *", {{setting}})] public partial class Backup { public Command Command => new("/bin/backup"); }
            """);
        Assert.Equal([("TEND022", "\"0 3 * * *\"",
            $"The service 'backup' has a schedule, so each run is a task that ends: it cannot also be {what}; remove one of the two")], e);
    }

    [Fact]
    public void A_schedule_with_a_readiness_check_is_TEND022_with_the_words_Tend_uses_at_run_time()
    {
        var e = Errors("""
            using Tend;
            [Service("backup", Schedule = "@daily")] public partial class Backup { public Command Command => new("/bin/backup"); public Readiness Ready => Readiness.Tcp(80); }
            """);
        var message = DeclarationRules.ScheduleConflictMessage("backup", DeclarationRules.ScheduleConflict(false, false, true)!);
        Assert.Equal([("TEND022", "\"@daily\"", "The " + message)], e);
    }

    [Fact]
    public void Two_services_reading_stdin_are_TEND024()
    {
        var e = Errors("""
            using Tend;
            [Service("a", Stdin = true)] public partial class A { public Command Command => new("/bin/a"); }
            [Service("b", Stdin = true)] public partial class B { public Command Command => new("/bin/b"); }
            """);
        Assert.Equal([("TEND024", "Service(\"b\", Stdin = true)",
            "The services a and b both ask for the container's stdin, which only one can read: keep Stdin = true (or --stdin) on one")], e);
    }

    [Theory]
    [InlineData("\"\"", "it is empty (leave User out to run as Tend's own user)")]
    [InlineData("\"a:b:c\"", "it has more than one ':'")]
    [InlineData("\"www-data:\"", "the group after ':' is empty (leave out the ':')")]
    [InlineData("\"a b\"", "'a b' holds a character no user or group name can (' ')")]
    public void A_user_that_cannot_name_a_user_is_TEND010(string user, string problem)
    {
        var e = Errors($$"""
            using Tend;
            [Service("web", User = {{user}})] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal([("TEND010", user, $"User '{user.Trim('"')}' is not valid: {problem}; expected {DeclarationRules.UserExpected}")], e);
    }

    [Fact]
    public void A_duration_given_as_a_number_is_the_compilers_one_error()
    {
        // Was CS0029 and a TEND010 about ''.
        var e = Errors("""
            using Tend;
            [Service("web", StopTimeout = 5, StopSignal = 9)] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal(["CS0029", "CS0029"], e.Select(x => x.Id));
    }

    [Fact]
    public void TEND013s_hint_names_every_kind_of_readiness_check()
    {
        var e = Errors("""
            using Tend;
            [Service("web")] public partial class Web { public Command Command => new("/bin/web"); public int Ready => 1; }
            """);
        Assert.Contains("(or Http, File, Run)", Assert.Single(e).Message);
    }

    [Fact]
    public void A_bool_option_takes_every_bool_word_after_it_and_no_other()
    {
        // Was: IMAGE --worker-verbose yes started /usr/bin/yes as a service, while =yes and TEND_..=yes meant true.
        var app = GeneratorHarness.Load("""
            using Tend;
            [Service("worker")] public partial class Worker { [Option] public bool Verbose { get; init; } public Command Command => new("/bin/w", Verbose.ToString()); }
            """);
        foreach (var (word, value) in new[] { ("yes", "True"), ("no", "False"), ("ON", "True"), ("off", "False"), ("1", "True"), ("0",
            "False"), ("False", "False") })
        {
            var b = Bind(app, "--worker-verbose", word);
            Assert.Equal((value, 0), (Arg(b), b.Rest.Length));
        }
        var line = Bind(app, "--worker-verbose", "/usr/sbin/cron -f");
        Assert.Equal("True", Arg(line));
        Assert.Equal(["/usr/sbin/cron -f"], line.Rest);
    }

    [Fact]
    public void Stop_timeouts_along_the_dependency_chain_beyond_dockers_10s_are_TEND025()
    {
        var e = Errors("""
            using Tend;
            [Service("db", StopTimeout = "6s")] public partial class Db { public Command Command => new("/bin/db"); public Readiness Ready => Readiness.Tcp(5432); }
            [Service("api", DependsOn = [typeof(Db)], StopTimeout = "4s")] public partial class Api { public Command Command => new("/bin/api"); public Readiness Ready => Readiness.Tcp(80); }
            [Service("web", DependsOn = [typeof(Api)], StopTimeout = "2s")] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal([("TEND025", "Service(\"web\", DependsOn = [typeof(Api)], StopTimeout = \"2s\")",
            "Stopping may take up to 12s (web 2s, then api 4s, then db 6s), more than the 10s docker stop (its default; docker stop -t, " +
                "compose's stop_grace_period) gives before it kills the container: shorten a StopTimeout, or give the platform more time")],
                    e);
        // Within the budget: no warning.
        Assert.Empty(Errors("""
            using Tend;
            [Service("db", StopTimeout = "6s")] public partial class Db { public Command Command => new("/bin/db"); public Readiness Ready => Readiness.Tcp(5432); }
            [Service("web", DependsOn = [typeof(Db)], StopTimeout = "4s")] public partial class Web { public Command Command => new("/bin/web"); }
            """));
    }

    [Fact]
    public void A_dependency_without_a_readiness_check_is_TEND026()
    {
        var e = Errors("""
            using Tend;
            [Service("db")] public partial class Db { public Command Command => new("/bin/db"); }
            [Service("api", DependsOn = [typeof(Db)])] public partial class Api { public Command Command => new("/bin/api"); }
            [Service("web", DependsOn = [typeof(Db)])] public partial class Web { public Command Command => new("/bin/web"); }
            [Service("init", OneShot = true)] public partial class Init { public Command Command => new("/bin/init"); }
            [Service("late", DependsOn = [typeof(Init)])] public partial class Late { public Command Command => new("/bin/late"); }
            """);
        Assert.Equal([("TEND026", "Service(\"db\")",
            "Service 'db' is a dependency of 'api', 'web' but has no readiness check: they start as soon as it runs, before it may " +
                "accept anything; declare 'public Tend.Readiness Ready => …' (or OneShot, Daemonizes)")], e);
    }

    [Fact]
    public void An_exception_in_the_services_code_is_english_and_names_the_options_given()
    {
        // Was: "… Arg_ParamName_Name …" in a NativeAOT image, and nothing said TEND_WEB_PORT=99999 was the cause.
        var app = GeneratorHarness.Load("""
            using Tend;
            [Service("web")] public partial class Web
            {
                [Option] public int Port { get; init; } = 80;
                [Option] public string Host { get; init; } = "127.0.0.1";
                public Command Command => new("/bin/web");
                public Readiness Ready => Readiness.Tcp(Port);
            }
            """);
        Func<string, string?> env = n => n == "TEND_WEB_PORT" ? "99999" : null;
        var bound = (BoundServices)app.GetType("TendApp")!.GetMethod("Bind")!.Invoke(null, [new[] { "--web-host", "::1" }, env])!;
        var e = Assert.Throws<UsageException>(() => bound.Services);
        Assert.Equal("service 'web': its Ready threw ArgumentOutOfRangeException: a TCP port is a number from 1 to 65535 (parameter " +
            "'port', got 99999); "
            + "fix the declaration or the option values given (given: TEND_WEB_PORT=99999, --web-host=::1)", e.Message);
    }
}
