using Microsoft.CodeAnalysis;
using static Tend.Generators.Tests.DiagnosticHarness;

namespace Tend.Generators.Tests;

/// <summary>Each diagnostic of a service's class and settings: its id, and the source text under its span.</summary>
[Trait("Category", "Unit")]
public class DiagnosticsTests
{
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
}
