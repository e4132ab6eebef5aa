using System.Reflection;
using Tend.Arguments;

namespace Tend.Generators.Tests;

/// <summary>
/// Declarations of issue 16, compiled with the real generator and run: required options, bool forms, user code
/// that throws, list options, initializers and Command evaluated once, inheritance. In memory: every run returns
/// before anything is supervised (help, bad arguments), so the class is in the fast lane.
/// </summary>
[Trait("Category", "Unit")]
public class DeclarationsRunTests
{
    private sealed class App(Assembly assembly)
    {
        private readonly Type _type = assembly.GetType("TendApp")!;

        public BoundServices Bind(string[] args, Dictionary<string, string>? env = null) =>
            Invoke<BoundServices>("Bind", args, (Func<string, string?>)(n => env is not null && env.TryGetValue(n, out var v) ? v : null));

        public string Help() => Invoke<string>("Help");

        public int Run(params string[] args) => Invoke<int>("Run", [args]);

        public int Static(string type, string field) => (int)assembly.GetType(type)!.GetField(field)!.GetValue(null)!;

        private T Invoke<T>(string method, params object[] args)
        {
            try { return (T)_type.GetMethod(method)!.Invoke(null, args)!; }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
    }

    private static App Load(string source) => new(GeneratorHarness.Load("using System; using Tend;\nnamespace T;\n" + source));

    private static string[] Args(BoundServices b, string service) => [.. b.Services.Single(s => s.Name == service).Command.Arguments];

    private const string Api = """
        [Service("api")]
        public partial class Api
        {
            /// <summary>The API token.</summary>
            [Option] public required string Token { get; init; }
            [Option] public string? Proxy { get; init; }
            public Command Command => new("/app/api", "--token", Token, "--proxy", Proxy ?? "none");
        }

        [Service("web")]
        public partial class Web { public Command Command => new("/bin/web"); }
        """;

    [Fact]
    public void A_required_option_given_binds()
    {
        var app = Load(Api);
        Assert.Equal(["--token", "s3cret", "--proxy", "none"], Args(app.Bind(["--api-token", "s3cret"]), "api"));
        Assert.Equal(["--token", "env", "--proxy", "none"], Args(app.Bind([], new() { ["TEND_API_TOKEN"] = "env" }), "api"));
    }

    [Fact]
    public void A_missing_required_option_is_a_usage_error_naming_the_flag_and_the_variable()
    {
        var app = Load(Api);
        var bound = app.Bind([]); // parsing alone does not fail: --help and --version still work
        var e = Assert.Throws<UsageException>(() => bound.Services);
        Assert.Contains("service 'api' needs option '--api-token' (or environment variable TEND_API_TOKEN)", e.Message);
        Assert.Equal(2, app.Run()); // exit 2, before anything starts
    }

    [Fact]
    public void A_required_option_of_a_service_left_out_is_not_needed()
    {
        var app = Load(Api);
        Assert.Equal(["web"], app.Bind(["--without", "api"]).Services.Select(s => s.Name));
    }

    [Fact]
    public void Help_shows_a_required_option_and_runs_no_Command()
    {
        var app = Load(Api);
        var help = app.Help();
        Assert.Contains("The API token. (required; env TEND_API_TOKEN)", help);
        Assert.Contains("(default: none; env TEND_API_PROXY)", help);
        Assert.Equal(0, app.Run("--help"));
    }

    [Fact]
    public void The_issue_s_crash_a_nullable_option_used_with_a_bang_only_fails_when_the_service_is_built()
    {
        var app = Load("""
            [Service("api")]
            public partial class Api
            {
                [Option] public string? Token { get; init; }
                public Command Command => new("/app/api", "--token", Token!);
            }
            [Service("web")] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal(["--token", "s3cret"], Args(app.Bind(["--api-token", "s3cret"]), "api"));
        Assert.Equal(["web"], app.Bind(["--without", "api"]).Services.Select(s => s.Name));
        Assert.Equal(0, app.Run("--help"));
        var e = Assert.Throws<UsageException>(() => app.Bind([]).Services);
        Assert.StartsWith("service 'api': its Command threw ArgumentNullException", e.Message);
    }

    [Theory]
    [InlineData("public Command Command => new(\"\");", "service 'bad': its Command threw ArgumentException")]
    [InlineData("public Command Command => throw new InvalidOperationException(\"no binary\\nsecond line\");",
        "service 'bad': its Command threw InvalidOperationException: no binary second line;")]
    [InlineData("public Command Command => new(\"/bin/bad\"); public Readiness Ready => Readiness.Tcp(0);",
        "service 'bad': its Ready threw ArgumentOutOfRangeException")]
    [InlineData("public static int N; [Option] public int Port { get; init; } = int.Parse(\"x\"); public Command Command => " +
        "new(\"/bin/bad\");", "service 'bad': its constructor or an option's initializer threw FormatException")]
    [InlineData("public Command Command => null!;", "service 'bad': its Command is null")]
    public void User_code_that_throws_is_one_line_naming_the_service_and_the_member(string members, string message)
    {
        var app = Load($$"""[Service("bad")] public partial class Bad { {{members}} }""");
        var e = Assert.Throws<UsageException>(() => app.Bind([]).Services);
        Assert.StartsWith(message, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.DoesNotContain("   at ", e.Message);
        Assert.Equal(2, app.Run());
    }

    [Fact]
    public void An_initializer_that_throws_fails_help_in_one_line_too()
    {
        var app =
            Load("""[Service("bad")] public partial class Bad { [Option] public int Port { get; init; } = int.Parse("x"); public Command Command => new("/bin/bad"); }""");
        Assert.Contains("its constructor or an option's initializer threw FormatException",
            Assert.Throws<UsageException>(app.Help).Message);
        Assert.Equal(2, app.Run("--help"));
    }

    [Fact]
    public void Help_never_evaluates_Command()
    {
        var app =
            Load("""[Service("bad")] public partial class Bad { [Option] public int Port { get; init; } = 1; public Command Command => throw new InvalidOperationException("evaluated"); }""");
        Assert.Contains("--bad-port INT", app.Help());
    }

    private const string Counted = """
        public static class Count { public static int Host; public static int Command; }

        [Service("web")]
        public partial class Web
        {
            [Option] public string Host { get; init; } = "host-" + ++Count.Host;
            public Command Command { get { Count.Command++; return new("/bin/web", Host); } }
        }

        [Service("other")]
        public partial class Other { public Command Command { get { Count.Command += 100; return new("/bin/other"); } } }
        """;

    [Fact]
    public void An_option_initializer_and_Command_run_once_and_only_for_the_selected_services()
    {
        var app = Load(Counted);
        var bound = app.Bind(["--without", "other"]);
        Assert.Equal(0, app.Static("T.Count", "Command")); // binding runs no service code
        Assert.Equal(["host-1"], Args(bound, "web"));
        _ = bound.Services;
        Assert.Equal(1, app.Static("T.Count", "Host"));
        Assert.Equal(1, app.Static("T.Count", "Command"));
    }

    [Fact]
    public void A_given_option_still_runs_its_initializer_once_and_help_shows_what_a_fresh_instance_has()
    {
        var app = Load(Counted);
        Assert.Equal(["x"], Args(app.Bind(["--web-host", "x", "--only", "web"]), "web"));
        Assert.Equal(1, app.Static("T.Count", "Host"));
        Assert.Contains("(default: host-2; env TEND_WEB_HOST)", app.Help());
        Assert.Equal(1, app.Static("T.Count", "Command"));
    }

    private const string Flags = """
        [Service("web")]
        public partial class Web
        {
            /// <summary>Log every request.</summary>
            [Option] public bool Verbose { get; init; } = true;
            [Option] public bool Debug { get; init; }
            [Option("header")] public string[] Headers { get; init; } = [];
            public Command Command => new("/bin/web", Verbose ? "verbose" : "quiet", Debug ? "debug" : "-", string.Join("+", Headers));
        }
        """;

    [Theory]
    [InlineData(new string[0], "verbose", "-", new string[0])]
    [InlineData(new[] { "--web-verbose", "false" }, "quiet", "-", new string[0])]
    [InlineData(new[] { "--web-verbose", "FALSE", "--web-debug", "true" }, "quiet", "debug", new string[0])]
    [InlineData(new[] { "--web-verbose=false" }, "quiet", "-", new string[0])]
    [InlineData(new[] { "--web-debug=true" }, "verbose", "debug", new string[0])]
    [InlineData(new[] { "--web-debug" }, "verbose", "debug", new string[0])]
    [InlineData(new[] { "--web-debug", "/bin/false" }, "verbose", "debug", new[] { "/bin/false" })]
    [InlineData(new[] { "--web-debug", "--log-prefix" }, "verbose", "debug", new[] { "--log-prefix" })]
    public void Bool_flags_as_users_type_them(string[] args, string verbose, string debug, string[] rest)
    {
        var b = Load(Flags).Bind(args);
        Assert.Equal([verbose, debug], Args(b, "web")[..2]);
        Assert.Equal(rest, b.Rest);
    }

    [Fact]
    public void Help_says_how_to_turn_a_default_true_flag_off()
    {
        var help = Load(Flags).Help();
        Assert.Contains("Log every request. (default: true; --web-verbose=false turns it off; env TEND_WEB_VERBOSE)", help);
        Assert.Contains("(default: false; env TEND_WEB_DEBUG)", help);
    }

    [Fact]
    public void A_list_option_splits_the_same_from_the_command_line_and_the_environment()
    {
        var app = Load(Flags);
        Assert.Equal("a+b+c", Args(app.Bind(["--web-header", "a,b", "--web-header=c"]), "web")[2]);
        Assert.Equal("a+b+c", Args(app.Bind([], new() { ["TEND_WEB_HEADER"] = "a,b, c" }), "web")[2]);
    }

    [Fact]
    public void Help_aligns_the_descriptions_in_one_column()
    {
        var help = Load("""
            [Service("web")]
            public partial class Web
            {
                /// <summary>Short.</summary>
                [Option] public int A { get; init; }
                /// <summary>Long.</summary>
                [Option] public string AVeryLongOptionNameIndeed { get; init; } = "";
                [Option] public bool Flag { get; init; }
                public Command Command => new("/bin/web");
            }
            """).Help();
        var lines = help.Split('\n').Where(l => l.StartsWith("    --", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lines.Count);
        // Where each description starts: "Short.", "Long.", and "(default: …" for the flag without a summary.
        var columns = new[] { lines[0].IndexOf("Short.", StringComparison.Ordinal), lines[1].IndexOf("Long.", StringComparison.Ordinal),
            lines[2].IndexOf("(default:", StringComparison.Ordinal) };
        Assert.True(columns[0] > 0 && columns.Distinct().Count() == 1, string.Join("\n", lines));
    }

    [Fact]
    public void Doc_comments_decode_entities_and_read_block_comments()
    {
        var help = Load("""
            [Service("web")]
            public partial class Web
            {
                /// <summary>Says &quot;hi&quot; &amp; <c>bye</c> &#x2192; <see cref="Port"/> &apos;x&apos;.</summary>
                [Option] public string Greeting { get; init; } = "";
                /**
                 * <summary>
                 * The port, see <see langword="true"/>.
                 * </summary>
                 */
                [Option] public int Port { get; init; }
                public Command Command => new("/bin/web");
            }
            """).Help();
        Assert.Contains("Says \"hi\" & bye → Port 'x'. (default:", help);
        Assert.Contains("The port, see true. (default: 0;", help);
    }

    [Fact]
    public void Options_and_Command_from_a_base_class_bind()
    {
        var app = Load("""
            public abstract class Daemon
            {
                /// <summary>Port to listen on.</summary>
                [Option] public int Port { get; init; } = 80;
                [Option] public virtual string Mode { get; init; } = "fg";
                public Command Command => new(Program, "-p", Port.ToString(), Mode, Extra);
                protected abstract string Program { get; }
                protected virtual string Extra => "";
            }

            [Service("web")]
            public partial class Web : Daemon
            {
                [Option] public string Host { get; init; } = "::";
                public override string Mode { get; init; } = "bg";
                protected override string Program => "/usr/sbin/web";
                protected override string Extra => Host;
            }
            """);
        var b = app.Bind(["--web-port", "8080", "--web-host", "0.0.0.0"]);
        Assert.Equal("/usr/sbin/web", b.Services.Single().Command.Executable);
        Assert.Equal(["-p", "8080", "bg", "0.0.0.0"], Args(b, "web"));
        Assert.Equal("fg", Args(app.Bind(["--web-mode", "fg"]), "web")[2]);
        Assert.Contains("--web-port INT", app.Help());
        Assert.Contains("Port to listen on. (default: 80; env TEND_WEB_PORT)", app.Help());
    }

    [Fact]
    public void A_constructor_of_the_user_runs_once_before_the_options_are_set()
    {
        var app = Load("""
            [Service("web")]
            public partial class Web
            {
                public static int Made;
                public Web() { Made++; Port = 8000; }
                [Option] public int Port { get; init; } = 80;
                public Command Command => new("/bin/web", Port.ToString());
            }
            """);
        Assert.Equal(["8000"], Args(app.Bind([]), "web"));
        Assert.Equal(["9000"], Args(app.Bind(["--web-port", "9000"]), "web"));
        Assert.Equal(2, app.Static("T.Web", "Made"));
    }

    [Fact]
    public void Settings_left_out_take_Core_s_defaults_and_enums_are_emitted_by_name()
    {
        var (result, _, _) = GeneratorHarness.Run("""
            using Tend; namespace T;
            [Service("web", KillMode = KillMode.Mixed, Restart = Restart.Never)] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        var app = result.Results.Single().GeneratedSources.Single(g => g.HintName == "TendApp.g.cs").SourceText.ToString();
        Assert.Contains("KillMode = global::Tend.KillMode.Mixed,", app);
        Assert.Contains("Restart = global::Tend.Restart.Never,", app);
        Assert.DoesNotContain("StopTimeout", app);
        Assert.DoesNotContain("StartLimit", app);
        var spec =
            Load("""[Service("web")] public partial class Web { public Command Command => new("/bin/web"); }""").Bind([]).Services.Single();
        var defaults = new ServiceSpec("x", new Command("/bin/x"));
        Assert.Equal((defaults.StopTimeout, defaults.StopSignal, defaults.Restart, defaults.KillMode, defaults.StartLimit,
            defaults.BackoffMax),
            (spec.StopTimeout, spec.StopSignal, spec.Restart, spec.KillMode, spec.StartLimit, spec.BackoffMax));
        Assert.Equal(TimeSpan.FromSeconds(5), spec.StopTimeout);
        Assert.Equal(15, spec.StopSignal);
    }
}
