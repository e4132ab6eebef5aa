using Microsoft.CodeAnalysis;
using static Tend.Generators.Tests.DiagnosticHarness;

namespace Tend.Generators.Tests;

/// <summary>Each diagnostic of a service's members (options, access, inheritance) and of the descriptors themselves: its id, and
/// the source text under its span.</summary>
[Trait("Category", "Unit")]
public class DiagnosticsOfMembersTests
{
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
