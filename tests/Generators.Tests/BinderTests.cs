using System.Reflection;
using Tend.Arguments;

namespace Tend.Generators.Tests;

/// <summary>The generated binder, compiled with the real generator and run: its edge cases.</summary>
[Trait("Category", "Unit")]
public class BinderTests
{
    private static readonly Lazy<Type> App = new(() => GeneratorHarness.Load(Sources.AllTypes).GetType("TendApp")!);

    private static BoundServices Bind(string[] args, Dictionary<string, string>? env = null)
    {
        try
        {
            Func<string, string?> lookup = name => env is not null && env.TryGetValue(name, out var v) ? v : null;
            return (BoundServices)App.Value.GetMethod("Bind")!.Invoke(null, [args, lookup])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static string[] WebArgs(BoundServices b) => [.. b.Services.Single(s => s.Name == "web").Command.Arguments];

    private static string Error(string[] args, Dictionary<string, string>? env = null) => Assert.Throws<UsageException>(() => Bind(args,
        env)).Message;

    [Fact]
    public void Defaults_come_from_the_property_initializers()
    {
        var b = Bind([]);
        Assert.Equal(["cron", "web", "worker"], b.Services.Select(s => s.Name));
        Assert.Equal(["127.0.0.1", "quiet", "80", "1048576", "0.5", "5000", "Info", "auto", "", "-"], WebArgs(b));
        Assert.Empty(b.Rest);
    }

    [Fact]
    public void A_readiness_check_follows_the_bound_options()
    {
        var web = Bind(["--web-port", "8080"]).Services.Single(s => s.Name == "web");
        Assert.Equal("tcp:127.0.0.1:8080", web.Ready?.ToString());
        Assert.Null(Bind([]).Services.Single(s => s.Name == "worker").Ready);
    }

    /// <summary>Service "api" with an <c>[Option] int Port</c> (8080) and <paramref name="members"/>, bound with
    /// <c>--api-port 9000</c>.</summary>
    private static ServiceSpec ApiOnPort9000(string members)
    {
        var app = GeneratorHarness.Load($$"""
            using Tend;
            namespace App;
            [Service("api")]
            public partial class Api
            {
                [Option] public int Port { get; init; } = 8080;
                {{members}}
            }
            """).GetType("TendApp")!;
        Func<string, string?> none = _ => null;
        return ((BoundServices)app.GetMethod("Bind")!.Invoke(null, [new[] { "--api-port", "9000" }, none])!).Services.Single();
    }

    [Fact]
    public void A_liveness_check_follows_the_bound_options()
    {
        var api = ApiOnPort9000("""
            public Command Command => new("/bin/api", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            public Liveness Alive => Liveness.Http(Port, "/healthz") with { Interval = System.TimeSpan.FromSeconds(5), Failures = 2 };
            """);
        Assert.Equal("http://127.0.0.1:9000/healthz", api.Alive?.ToString());
        Assert.Equal((TimeSpan.FromSeconds(5), 2), (api.Alive!.Interval, api.Alive.Failures));
    }

    [Fact]
    public void A_liveness_check_can_look_at_what_readiness_looks_at()
    {
        var api = ApiOnPort9000("""
            public Command Command => new("/bin/api");
            public Readiness Ready => Readiness.Http(Port, "/ready") with { Interval = System.TimeSpan.FromMilliseconds(20) };
            public Liveness Alive => Liveness.Of(Ready.Check);
            """);
        Assert.Equal(api.Ready!.Check, api.Alive!.Check);
        Assert.Equal("http://127.0.0.1:9000/ready", api.Alive.ToString());
        // The target is shared, the timetables are each its own.
        Assert.Equal((TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(10)), (api.Ready.Interval, api.Alive.Interval));
    }

    [Fact]
    public void Notify_readiness_and_a_watchdog_are_declared()
    {
        var app = GeneratorHarness.Load("""
            using Tend;
            namespace App;
            [Service("db")]
            public partial class Db
            {
                public Command Command => new("/usr/sbin/mariadbd", "--user=mysql");
                public Readiness Ready => Readiness.Notify;
                public Liveness Alive => Liveness.Watchdog(System.TimeSpan.FromSeconds(30));
            }
            """).GetType("TendApp")!;
        Func<string, string?> none = _ => null;
        var db = ((BoundServices)app.GetMethod("Bind")!.Invoke(null, [Array.Empty<string>(), none])!).Services.Single();
        Assert.Equal(CheckKind.Notify, db.Ready?.Check.Kind);
        Assert.Equal("watchdog:30s", db.Alive?.ToString());
        Assert.Equal(TimeSpan.FromSeconds(30), db.Alive!.Interval);
    }

    [Fact]
    public void Every_type_binds_from_the_command_line_in_both_forms()
    {
        var b = Bind(["--web-host", "0.0.0.0", "--web-verbose", "--web-port=8080", "--web-max-bytes", "5000000000", "--web-ratio=0.25",
            "--web-timeout", "1m30s", "--web-level", "WARN", "--web-workers", "4", "--web-header", "a", "--web-header=b", "--web-motd",
                "hi there"]);
        Assert.Equal(["0.0.0.0", "verbose", "8080", "5000000000", "0.25", "90000", "Warn", "4", "a+b", "hi there"], WebArgs(b));
    }

    [Fact]
    public void Command_line_beats_environment_beats_default()
    {
        var env = new Dictionary<string, string> { ["TEND_WEB_PORT"] = "9000", ["TEND_WEB_HOST"] = "10.0.0.1", ["TEND_WEB_HEADER"] = "x, y",
            ["TEND_WEB_VERBOSE"] = "yes" };
        var b = Bind(["--web-port", "8000"], env);
        var args = WebArgs(b);
        Assert.Equal("10.0.0.1", args[0]);
        Assert.Equal("verbose", args[1]);
        Assert.Equal("8000", args[2]);
        Assert.Equal("x+y", args[8]);
    }

    [Fact]
    public void A_bool_flag_takes_an_explicit_value_only_inline()
    {
        Assert.Equal("quiet", WebArgs(Bind(["--web-verbose=false"]))[1]);
        var b = Bind(["--web-verbose", "/bin/true"]);
        Assert.Equal("verbose", WebArgs(b)[1]);
        Assert.Equal(["/bin/true"], b.Rest);
    }

    [Fact]
    public void Tend_options_and_command_lines_pass_through_in_order()
    {
        var b = Bind(["--log-format", "json", "/usr/sbin/cron -f", "--web-port", "1", "--", "--not-an-option", "x"]);
        Assert.Equal(["--log-format", "json", "/usr/sbin/cron -f", "--", "--not-an-option", "x"], b.Rest);
    }

    [Theory]
    [InlineData(new[] { "--web-port", "eighty" }, "option '--web-port' got 'eighty': expected an integer (int)")]
    [InlineData(new[] { "--web-port" }, "option '--web-port' needs a value")]
    [InlineData(new[] { "--web-port", "--web-verbose" }, "option '--web-port' needs a value")]
    [InlineData(new[] { "--web-max-bytes", "1e3" }, "expected an integer (long)")]
    [InlineData(new[] { "--web-ratio", "half" }, "expected a number (double)")]
    [InlineData(new[] { "--web-timeout", "5" }, "option '--web-timeout' got '5': expected a duration such as 500ms")]
    [InlineData(new[] { "--web-level", "loud" }, "option '--web-level' got 'loud': expected one of debug, info, warn")]
    [InlineData(new[] { "--web-verbose=maybe" }, "expected true or false")]
    [InlineData(new[] { "--web-port", "1", "--web-port", "2" }, "option '--web-port' is given twice")]
    [InlineData(new[] { "--only", "web,nope" },
        "option '--only' names 'nope', which is not a service here; the services are: cron, web, worker")]
    [InlineData(new[] { "--without", "ghost" }, "option '--without' names 'ghost'")]
    public void Bad_values_name_the_flag_the_value_and_the_type(string[] args, string message) =>
        Assert.Contains(message, Error(args));

    [Fact]
    public void Bad_environment_values_name_the_variable()
    {
        Assert.Contains("environment variable TEND_WEB_WORKERS got 'many': expected an integer (int)", Error([],
            new() { ["TEND_WEB_WORKERS"] = "many" }));
    }

    [Fact]
    public void Only_and_without_select_services()
    {
        Assert.Equal(["cron", "web"], Bind(["--only", "web,cron"]).Services.Select(s => s.Name));
        Assert.Equal(["cron", "web"], Bind(["--without=worker"]).Services.Select(s => s.Name));
        // The binder selects; a kept service whose dependency is left out is TendHost's to refuse, or to run with
        // --orchestrated, where the orchestrator starts the dependency (tests/Core.Tests/Export/OrchestrationTests.cs).
        Assert.Equal(["worker"], Bind(["--only", "worker"]).Services.Select(s => s.Name));
    }

    [Fact]
    public void A_typo_gets_the_nearest_flag()
    {
        var b = Bind(["--web-prot", "1"]);
        Assert.Equal(["--web-prot", "1"], b.Rest);
        var flags = (string[])App.Value.GetField("Flags")!.GetValue(null)!;
        var e = Assert.Throws<UsageException>(() => TendHost.ParseOwnOptions(b.Rest, flags));
        Assert.Contains("unknown option '--web-prot'; did you mean '--web-port'?", e.Message);
    }

    [Fact]
    public void Settings_reach_the_service_spec_and_dependencies_resolve_to_indices()
    {
        var app = GeneratorHarness.Load(Sources.Seed).GetType("TendApp")!;
        var b = (BoundServices)app.GetMethod("Bind")!.Invoke(null, [new[] { "--sshd-port", "2222" }, (Func<string, string?>)(_ => null)])!;
        var sshd = b.Services.Single(s => s.Name == "sshd");
        Assert.Equal(["-D", "-p", "2222"], sshd.Command.Arguments.ToArray());
        Assert.Equal(Restart.OnFailure, sshd.Restart);
        Assert.True(sshd.Critical);
        Assert.Equal(3, sshd.StopSignal);
        Assert.Equal(TimeSpan.FromMilliseconds(250), sshd.BackoffInitial);
        Assert.Equal(["apache2"], sshd.DependsOn);
        Assert.Equal(TimeSpan.FromSeconds(5), b.Services.Single(s => s.Name == "apache2").StopTimeout);
        var deps = (int[][])app.GetField("Dependencies")!.GetValue(null)!;
        var names = (string[])app.GetField("ServiceNames")!.GetValue(null)!;
        Assert.Equal([names.ToList().IndexOf("apache2")], deps[names.ToList().IndexOf("sshd")]);
    }

    [Fact]
    public void Help_lists_every_service_and_option_with_type_default_env_and_doc()
    {
        var help = (string)App.Value.GetMethod("Help")!.Invoke(null, null)!;
        Assert.Contains("web - A web server with one option of each supported type.", help);
        Assert.Contains("--web-host STRING", help);
        Assert.Contains("Address to bind. (default: 127.0.0.1; env TEND_WEB_HOST)", help);
        Assert.Contains("--web-timeout DURATION", help);
        Assert.Contains("(default: 5s; env TEND_WEB_TIMEOUT)", help);
        Assert.Contains("--web-level debug|info|warn", help);
        Assert.Contains("(default: info; env TEND_WEB_LEVEL)", help);
        Assert.Contains("--web-header STRING,... (repeatable)", help);
        Assert.Contains("--web-workers INT", help);
        Assert.Contains("(default: none; env TEND_WEB_WORKERS)", help);
        Assert.Contains("worker\n      after web", help);
        Assert.Contains("cron\n      one-shot", help);
    }
}
