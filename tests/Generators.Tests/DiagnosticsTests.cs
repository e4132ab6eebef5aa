using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

/// <summary>Each diagnostic: its id, and the source text under its span (where the IDE puts the squiggle).</summary>
[Trait("Category", "Unit")]
public class DiagnosticsTests
{
    private const string Usings = "using System; using Tend;\n";

    private static (string Id, string Text, string Message)[] Diagnose(string source)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(Usings + source);
        GeneratorHarness.AssertGeneratedCodeIsClean(result, output, diagnostics);
        return diagnostics.Where(d => d.Id.StartsWith("TEND", StringComparison.Ordinal))
            .Select(d => (d.Id, d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length),
                d.GetMessage()))
            .ToArray();
    }

    private static (string Id, string Text, string Message) Single(string source)
    {
        var all = Diagnose(source);
        Assert.True(all.Length == 1,
            $"expected one diagnostic, got: {string.Join("; ", all.Select(a => $"{a.Id} '{a.Text}': {a.Message}"))}");
        return all[0];
    }

    [Theory]
    [InlineData("public string Ready => \"tcp:80\";", "Ready", "has a Ready property of type 'string', not Tend.Readiness")]
    [InlineData("public static Readiness Ready => Readiness.Tcp(80);", "Ready", "has a static Ready property")]
    [InlineData("public Readiness Ready() => Readiness.Tcp(80);", "Ready", "has a member named Ready that is not a property")]
    public void TEND013_ready_is_not_a_readiness_property(string member, string text, string message)
    {
        var d = Single($$"""[Service("web")] public partial class Web { public Command Command => new("/bin/web"); {{member}} }""");
        Assert.Equal(("TEND013", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
    }

    [Theory]
    [InlineData("public Readiness Alive => Readiness.Tcp(80);", "Alive",
        "has an Alive property of type 'Tend.Readiness', not Tend.Liveness")]
    [InlineData("private Liveness Alive => Liveness.Tcp(80);", "Alive", "has a private Alive property; make it public")]
    [InlineData("public int Alive;", "Alive", "has a member named Alive that is not a property")]
    public void TEND020_alive_is_not_a_liveness_property(string member, string text, string message)
    {
        var d = Single($$"""[Service("web")] public partial class Web { public Command Command => new("/bin/web"); {{member}} }""");
        Assert.Equal(("TEND020", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void A_nullable_readiness_property_is_fine()
    {
        Assert.Empty(Diagnose("""[Service("web")] public partial class Web { public Command Command => new("/bin/web"); public Readiness? Ready => null; }"""));
    }

    [Fact]
    public void TEND001_class_not_partial()
    {
        var d = Single("""[Service("web")] public class Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND001", "Web"), (d.Id, d.Text));
        Assert.Contains("add the 'partial' modifier", d.Message);
    }

    [Fact]
    public void TEND002_generic_class()
    {
        var d = Single("""[Service("web")] public partial class Web<T> { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND002", "Web"), (d.Id, d.Text));
        Assert.Contains("must not be generic", d.Message);
    }

    [Fact]
    public void TEND002_nested_in_a_non_partial_class()
    {
        var d =
            Single("""public class Outer { [Service("web")] public partial class Web { public Command Command => new("/bin/web"); } }""");
        Assert.Equal(("TEND002", "Web"), (d.Id, d.Text));
        Assert.Contains("make 'Outer' partial", d.Message);
    }

    [Fact]
    public void Nested_in_a_partial_class_is_fine()
    {
        Assert.Empty(Diagnose("""public partial class Outer { [Service("web")] public partial class Web { public Command Command => new("/bin/web"); } }"""));
    }

    [Fact]
    public void TEND003_duplicate_name()
    {
        var d = Single("""
            [Service("web")] public partial class A { public Command Command => new("/bin/a"); }
            [Service("web")] public partial class B { public Command Command => new("/bin/b"); }
            """);
        Assert.Equal(("TEND003", "Service(\"web\")"), (d.Id, d.Text));
        Assert.Contains("used by both 'A' and 'B'", d.Message);
    }

    [Theory]
    [InlineData("Web Server")]
    [InlineData("")]
    [InlineData("2web")]
    [InlineData("web_server")]
    public void TEND004_invalid_name(string name)
    {
        var d = Single($$"""[Service("{{name}}")] public partial class Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND004", $"\"{name}\""), (d.Id, d.Text));
    }

    [Fact]
    public void TEND005_missing_command()
    {
        var d = Single("""[Service("web")] public partial class Web { }""");
        Assert.Equal(("TEND005", "Web"), (d.Id, d.Text));
        Assert.Contains("has no Command property", d.Message);
    }

    [Fact]
    public void TEND005_mistyped_command()
    {
        var d = Single("""[Service("web")] public partial class Web { public string Command => "/bin/web"; }""");
        Assert.Equal(("TEND005", "Command"), (d.Id, d.Text));
        Assert.Contains("of type 'string', not Tend.Command", d.Message);
    }

    [Fact]
    public void TEND006_dependency_is_not_a_service()
    {
        var d = Single("""
            public class Db { }
            [Service("web", DependsOn = [typeof(Db)])] public partial class Web { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal(("TEND006", "[typeof(Db)]"), (d.Id, d.Text));
        Assert.Contains("'Db', which has no [Service] attribute", d.Message);
    }

    [Fact]
    public void TEND007_cycle_is_named()
    {
        var d = Single("""
            [Service("a", DependsOn = [typeof(B)])] public partial class A { public Command Command => new("/bin/a"); }
            [Service("b", DependsOn = [typeof(C)])] public partial class B { public Command Command => new("/bin/b"); }
            [Service("c", DependsOn = [typeof(A)])] public partial class C { public Command Command => new("/bin/c"); }
            """);
        Assert.Equal("TEND007", d.Id);
        Assert.Contains("a -> b -> c -> a", d.Message);
        Assert.Equal("Service(\"a\", DependsOn = [typeof(B)])", d.Text);
    }

    [Fact]
    public void TEND008_unsupported_option_type()
    {
        var d =
            Single("""[Service("web")] public partial class Web { [Option] public Uri Url { get; init; } = new("http://x"); public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND008", "Url"), (d.Id, d.Text));
        Assert.Contains("type 'System.Uri'", d.Message);
    }

    [Fact]
    public void TEND009_two_options_on_one_flag()
    {
        var d =
            Single("""[Service("web")] public partial class Web { [Option("port")] public int A { get; init; } [Option("port")] public int B { get; init; } public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND009", "B"), (d.Id, d.Text));
        Assert.Contains("'--web-port', as 'A' does already", d.Message);
    }

    [Fact]
    public void TEND009_options_of_two_services_on_one_flag()
    {
        var d = Single("""
            [Service("web")] public partial class Web { [Option] public int AdminPort { get; init; } public Command Command => new("/bin/web"); }
            [Service("web-admin")] public partial class WebAdmin { [Option] public int Port { get; init; } public Command Command => new("/bin/admin"); }
            """);
        Assert.Equal("TEND009", d.Id);
        Assert.Contains("--web-admin-port", d.Message);
    }

    [Theory]
    [InlineData("StopTimeout = \"5 sec\"", "\"5 sec\"", "expected a duration")]
    [InlineData("Backoff = \"-1s\"", "\"-1s\"", "expected a duration")]
    [InlineData("StartLimit = 0", "0", "at least 1")]
    [InlineData("StopSignal = \"SIGFOO\"", "\"SIGFOO\"", "expected a signal name")]
    [InlineData("Backoff = \"10s\", BackoffMax = \"1s\"", "\"1s\"", "not be less than Backoff")]
    [InlineData("LogBuffer = \"64 apples\"", "\"64 apples\"", "expected a size in bytes")]
    [InlineData("LogBuffer = \"10\"", "\"10\"", "at least 25 bytes")]
    public void TEND010_invalid_setting(string setting, string text, string message)
    {
        var d = Single($$"""[Service("web", {{setting}})] public partial class Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND010", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void TEND011_not_a_class()
    {
        var d = Single("""[Service("web")] public partial struct Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND011", "Web"), (d.Id, d.Text));
        Assert.Contains("[Service] is on a struct 'Web'", d.Message);
    }

    [Fact]
    public void TEND012_option_without_setter()
    {
        var d =
            Single("""[Service("web")] public partial class Web { [Option] public int Port { get; } = 80; public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND012", "Port"), (d.Id, d.Text));
    }

    [Theory]
    [InlineData("\"0 25 * * *\"", "the hours field '25' has the value 25: expected a number from 0 to 23")]
    [InlineData("\"* * *\"", "it has 3 fields, not 5")]
    [InlineData("\"@sometimes\"", "'@sometimes' is not a macro")]
    public void TEND019_schedule_is_not_a_cron_expression(string expression, string message)
    {
        var d =
            Single($$"""[Service("backup", Schedule = {{expression}})] public partial class Backup { public Command Command => new("/bin/backup"); }""");
        Assert.Equal(("TEND019", expression), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
        Assert.Contains("expected five cron fields", d.Message);
    }

    [Theory]
    [InlineData("\"(ready\"", "Not enough )'s")]
    [InlineData("\"(a)\\\\1\"", "NonBacktracking")]
    [InlineData("\"(?<=x)ready\"", "NonBacktracking")]
    [InlineData("Pattern", "Not enough )'s")]
    public void TEND027_log_line_pattern_is_not_a_regular_expression_Tend_can_match(string argument, string message)
    {
        var d = Single($$"""
            [Service("db")] public partial class Db
            {
                private const string Pattern = "ready (to";
                public Command Command => new("/bin/db");
                public Readiness Ready => Readiness.LogLine({{argument}});
            }
            """);
        Assert.Equal(("TEND027", argument), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
        Assert.Contains("needs no backtracking", d.Message);
    }

    [Fact]
    public void A_valid_log_line_pattern_and_log_buffer_pass_to_the_service_table()
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(Usings + """
            [Service("db", LogBuffer = "1M")] public partial class Db
            {
                public Command Command => new("/bin/db");
                public Readiness Ready => Readiness.LogLine(@"ready to accept connections on port \d+");
            }
            """);
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        var source = string.Concat(result.Results.SelectMany(r => r.GeneratedSources).Select(g => g.SourceText.ToString()));
        Assert.Contains("LogBuffer = 1048576,", source);
    }

    [Fact]
    public void A_valid_schedule_passes_to_the_service_table()
    {
        var (result, output,
            diagnostics) = GeneratorHarness.Run(Usings
            + """[Service("backup", Schedule = "*/30 * * * * *")] public partial class Backup { public Command Command => new("/bin/backup"); }""");
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        var source = string.Concat(result.Results.SelectMany(r => r.GeneratedSources).Select(g => g.SourceText.ToString()));
        Assert.Contains("Schedule = global::Tend.Schedule.Parse(\"*/30 * * * * *\"),", source);
    }

    [Fact]
    public void TEND003_two_classes_of_one_name_in_two_namespaces_is_reported_not_a_generator_crash()
    {
        // A copied file: same class name, same service name, two namespaces. Each class gets its own hint name, so
        // the generator runs to the end and the user sees TEND003 (the harness fails on CS8785).
        var d = Single("""
            namespace A { [Service("web")] public partial class Web { public Command Command => new("/bin/a"); } }
            namespace B { [Service("web")] public partial class Web { public Command Command => new("/bin/b"); } }
            """);
        Assert.Equal(("TEND003", "Service(\"web\")"), (d.Id, d.Text));
        Assert.Contains("used by both 'A.Web' and 'B.Web'", d.Message);
    }

    [Fact]
    public void Two_classes_of_one_name_in_two_namespaces_are_two_services()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(Usings + """
            namespace A { [Service("web")] public partial class Web { public Command Command => new("/bin/a"); } }
            namespace B { [Service("web-b")] public partial class Web { public Command Command => new("/bin/b"); } }
            """);
        Assert.Empty(diagnostics);
        Assert.Equal(["A.Web.g.cs", "B.Web.g.cs", "TendApp.g.cs"],
            result.Results.Single().GeneratedSources.Select(g => g.HintName).Order());
    }

    [Fact]
    public void TEND014_service_on_two_parts_of_one_partial_class()
    {
        var d = Single("""
            [Service("web")] public partial class Web { public Command Command => new("/bin/web"); }
            [Service("web2")] public partial class Web { }
            """);
        Assert.Equal(("TEND014", "Service(\"web2\")"), (d.Id, d.Text));
        Assert.Contains("keep it on one", d.Message);
    }

    [Theory]
    [InlineData("[Option] public int Port { get; private set; } = 80;", "Port", "has a private setter")]
    [InlineData("[Option] public int Port { get; private init; } = 80;", "Port", "has a private init")]
    [InlineData("[Option] private int Port { get; init; } = 80;", "Port", "is private")]
    [InlineData("[Option] protected int Port { get; init; } = 80;", "Port", "is protected")]
    [InlineData("[Option] public int Port { private get; init; } = 80;", "Port", "has a private getter")]
    [InlineData("private enum Mode { A, B } [Option] public Mode M { get; init; }", "M", "has type 'Web.Mode', which is private")]
    public void TEND017_option_not_public(string member, string text, string message)
    {
        var d = Single($$"""[Service("web")] public partial class Web { {{member}} public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND017", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
        Assert.Contains("declare it 'public", d.Message);
    }

    [Fact]
    public void Internal_options_are_fine()
    {
        Assert.Empty(Diagnose("""[Service("web")] public partial class Web { [Option] internal int Port { get; init; } = 80; [Option] public int Workers { get; internal set; } = 2; public Command Command => new("/bin/web"); }"""));
    }

    [Fact]
    public void Keywords_as_names_are_written_as_verbatim_identifiers_in_generated_code()
    {
        // A namespace, a class and an option named by keywords: the generated code compiles (checked by Diagnose).
        Assert.Empty(Diagnose("""namespace @class.@event { [Service("b")] public partial class @event { [Option] public int @default { get; init; } = 3; public Command Command => new("/bin/true", @default.ToString()); } }"""));
    }

    [Theory]
    [InlineData("""public partial class Outer { [Service("web")] private partial class Web { public Command Command => new("/bin/web"); } }""", "Web", "is private: the generated TendApp creates it")]
    [InlineData("""public partial class Outer { private partial class Mid { [Service("web")] public partial class Web { public Command Command => new("/bin/web"); } } }""", "Web", "is nested in 'Mid', which is private")]
    [InlineData("""[Service("web")] public partial class Web { public Web(int port) { } public Command Command => new("/bin/web"); }""",
        "Web", "has a constructor with parameters and none without")]
    [InlineData("""[Service("web")] public partial class Web(int port) { public Command Command => new("/bin/web", port.ToString()); }""",
        "Web", "has a constructor with parameters and none without")]
    [InlineData("""[Service("web")] public abstract partial class Web { public Command Command => new("/bin/web"); }""", "Web",
        "is abstract")]
    [InlineData("""[Service("web")] public static partial class Web { public static Command Command => new("/bin/web"); }""", "Web",
        "is static")]
    [InlineData("""public class Base { public Base(int x) { } } [Service("web")] public partial class Web : Base { public Command Command => new("/bin/web"); }""", "Web", "derives from 'Base', which has no parameterless constructor")]
    [InlineData("""[Service("web")] file partial class Web { public Command Command => new("/bin/web"); }""", "Web",
        "is file-local ('file')")]
    [InlineData("""[Service("web")] public partial class TendApp { public Command Command => new("/bin/web"); }""", "TendApp",
        "is named TendApp in the global namespace")]
    public void TEND016_class_tend_cannot_create(string source, string text, string message)
    {
        var all = Diagnose(source);
        var d = Assert.Single(all, a => a.Id == "TEND016");
        Assert.Equal(text, d.Text);
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void A_constructor_of_its_own_runs_before_the_options_are_set()
    {
        Assert.Empty(Diagnose("""[Service("web")] public partial class Web { public Web() { } public Web(int port) { Port = port; } [Option] public int Port { get; init; } public Command Command => new("/bin/web"); }"""));
        Assert.Empty(Diagnose("""[Service("web")] public partial class Web { private Web() { } public Command Command => new("/bin/web"); }"""));
    }

    [Theory]
    [InlineData("[Option(\"Port\")] public int Port { get; init; }", "Port", "Option name 'Port' of 'Port' is not valid")]
    [InlineData("[Option(\"x-\")] public int Port { get; init; }", "Port", "Option name 'x-' of 'Port'")]
    [InlineData("[Option(\"max--conn\")] public int Port { get; init; }", "Port", "Option name 'max--conn'")]
    [InlineData("[Option] public int Port_ { get; init; }", "Port_", "Option name 'port-'")]
    public void TEND015_invalid_option_name_says_option(string member, string text, string message)
    {
        var d = Single($$"""[Service("web")] public partial class Web { {{member}} public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND015", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
        Assert.DoesNotContain("Service name", d.Message);
    }

    [Theory]
    [InlineData("web-")]
    [InlineData("web--x")]
    [InlineData("-web")]
    public void TEND004_names_that_would_glue_flags(string name)
    {
        var d = Single($$"""[Service("{{name}}")] public partial class Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND004", $"\"{name}\""), (d.Id, d.Text));
        Assert.Contains("joined by single '-'", d.Message);
    }

    [Theory]
    [InlineData("public required string Token { get; init; }")]
    [InlineData("public required string Token;")]
    public void TEND018_required_member_that_is_not_an_option(string member)
    {
        var d =
            Single($$"""[Service("web")] public partial class Web { {{member}} [Option] public required int Port { get; init; } public Command Command => new("/bin/web", Token); }""");
        Assert.Equal(("TEND018", "Token"), (d.Id, d.Text));
        Assert.Contains("add [Option] or remove 'required'", d.Message);
    }

    [Fact]
    public void A_required_option_and_a_nullable_one_without_initializer_are_fine()
    {
        Assert.Empty(Diagnose("""[Service("api")] public partial class Api { [Option] public required string Token { get; init; } [Option] public string? Proxy { get; init; } public Command Command => new("/app/api", "--token", Token, Proxy ?? "-"); }"""));
    }

    [Theory]
    [InlineData("private Command Command => new(\"/bin/web\");", "Command", "has a private Command property; make it public")]
    [InlineData("protected Command Command => new(\"/bin/web\");", "Command", "has a protected Command property")]
    public void TEND005_command_the_binder_cannot_read(string member, string text, string message)
    {
        var d = Single($$"""[Service("web")] public partial class Web { {{member}} }""");
        Assert.Equal(("TEND005", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void TEND013_private_ready()
    {
        var d =
            Single("""[Service("web")] public partial class Web { public Command Command => new("/bin/web"); private Readiness Ready => Readiness.Tcp(80); }""");
        Assert.Equal(("TEND013", "Ready"), (d.Id, d.Text));
        Assert.Contains("has a private Ready property", d.Message);
    }

    [Fact]
    public void Options_and_Command_inherited_from_a_base_class_are_supported()
    {
        Assert.Empty(Diagnose("""
            public abstract class Daemon { [Option] public int Port { get; init; } = 80; public virtual Command Command => new("/bin/d", Port.ToString()); }
            [Service("web")] public partial class Web : Daemon { [Option] public string Host { get; init; } = "::"; }
            """));
    }

    [Fact]
    public void TEND017_on_an_inherited_option_points_at_the_base_class()
    {
        var d = Single("""
            public class Daemon { [Option] public int Port { get; private set; } = 80; }
            [Service("web")] public partial class Web : Daemon { public Command Command => new("/bin/web"); }
            """);
        Assert.Equal(("TEND017", "Port"), (d.Id, d.Text));
    }

    [Theory]
    [InlineData("Restart = (Restart)7", "(Restart)7", "expected one of Restart.Always, Restart.OnFailure, Restart.Never")]
    [InlineData("KillMode = (KillMode)9", "(KillMode)9", "expected one of KillMode.Lineage")]
    [InlineData("Backoff = \"1m\"", "\"1m\"", "it must not be more than BackoffMax (30s)")]
    [InlineData("BackoffMax = \"50ms\"", "\"50ms\"", "it must not be less than Backoff (100ms)")]
    public void TEND010_settings_checked_against_the_defaults_and_enum_members(string setting, string text, string message)
    {
        var d = Single($$"""[Service("web", {{setting}})] public partial class Web { public Command Command => new("/bin/web"); }""");
        Assert.Equal(("TEND010", text), (d.Id, d.Text));
        Assert.Contains(message, d.Message);
    }

    [Fact]
    public void Every_descriptor_is_documented_where_users_look()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Framework.sln"))) root = root.Parent!;
        var releases = File.ReadAllText(Path.Combine(root.FullName, "src/Generators/AnalyzerReleases.Unshipped.md"));
        var readme = File.ReadAllText(Path.Combine(root.FullName, "README.md"));
        Assert.All(DiagnosticDescriptors.All, d => Assert.Contains($"{d.Id} | Tend | {d.DefaultSeverity} | {d.Title}", releases));
        Assert.Contains($"`TEND001`…`{DiagnosticDescriptors.All.Max(d => d.Id)}`", readme);
    }

    [Fact]
    public void Every_descriptor_is_an_error_with_a_TEND_id_but_the_budget_warnings()
    {
        Assert.All(DiagnosticDescriptors.All, d =>
        {
            Assert.StartsWith("TEND0", d.Id);
            Assert.Equal(d.Id is "TEND025" or "TEND026" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, d.DefaultSeverity);
        });
        Assert.Equal(DiagnosticDescriptors.All.Length, DiagnosticDescriptors.All.Select(d => d.Id).Distinct().Count());
    }
}
