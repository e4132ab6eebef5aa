using System.Globalization;
using System.Text;

namespace Tend.Generators.Tests.Declarative;

/// <summary>An enum an option may have as its type; members as written (<c>@class</c> is the member <c>class</c>).</summary>
internal sealed record EnumDecl(string Name, bool Flags, string[] Members)
{
    public string FullName => $"global::Shared.{Name}";

    /// <summary>The members' names as the compiler sees them.</summary>
    public string[] Names => Members.Select(m => m.TrimStart('@')).ToArray();
}

/// <summary>What kind of value an option holds, for choosing values and predicting what the service sees.</summary>
internal enum ValueKind { String, Bool, Int, Long, Double, Duration, Enum, List, Unsupported }

/// <summary>An option's type: its C# text, its kind, and whether null is its default.</summary>
internal sealed record OptionType(string CSharp, ValueKind Kind, bool Nullable, EnumDecl? Enum = null);

/// <summary>One [Option] property (<see cref="InBase"/>: declared on the service's base class).</summary>
internal sealed record OptionDecl(
    string Property, string? ExplicitName, OptionType Type, string Visibility, string Accessors, bool Required,
    string? Initializer, string DefaultShown, bool InBase = false)
{
    /// <summary>The property's name as the compiler sees it.</summary>
    public string Name => Property.TrimStart('@');
}

/// <summary>One [Service] declaration, with everything around it that decides what the generator must do.</summary>
internal sealed record ServiceDecl(
    int Index, string ClassName, string Kind, int NamespaceStyle, int Nesting, bool Partial, string ServiceName,
    List<string> Settings, List<int> DependsOn, bool DependsOnNonService, List<OptionDecl> Options, int CommandPlace,
    string? Ready, string? Alive, int Base, string? BaseArgument, List<string> Members, string? Constructor)
{
    public string Namespace => NamespaceStyle switch { 0 => "", 1 or 2 => "App", 3 => "App.Inner", _ => "Other" };

    public string Outer => Nesting switch { 4 => $"Outer{Index}<int>", _ => $"Outer{Index}" };

    /// <summary>The fully qualified name, as typeof in another file writes it.</summary>
    public string FullName => "global::" + (Namespace.Length > 0 ? Namespace + "." : "") + (Nesting is 1 or 2 or 4 ? Outer + "."
        : "") + ClassName;
}

/// <summary>A random set of declarations: enums, services, and the files they are written in.</summary>
internal sealed record Declarations(List<EnumDecl> Enums, List<ServiceDecl> Services)
{
    private static readonly string[] ClassNames = ["Web", "Worker", "Db", "Api", "@class", "Données", "TendApp", "Web", "Ready", "Command"];
    private static readonly string[] ServiceNames = ["web", "worker", "db", "api-2", "log", "web", "Web", "", "-x", "a--b", "données",
        "x1"];
    private static readonly string[] PropertyNames =
        ["Port", "Host", "Verbose", "Level", "Mode", "Prefix", "ServiceName", "@class", "@event", "Données", "HTTPPort", "X", "Only",
            "Value",
         "Name", "Flags", "Bind", "Help", "Run", "Services", "Ready", "Alive", "Command", "Format", "Port"];
    private static readonly string[] EnumMembers = ["A", "B", "Gzip", "GZip", "gzip", "@class", "@event", "None", "Élan", "Value", "C"];

    // Attribute settings: a valid value first, then values the generator must refuse at the user's span.
    private static readonly (string Key, string[] Values)[] SettingPool =
    [
        ("StopTimeout", ["\"5s\"", "\"0\"", "\"abc\"", "\"\"", "\"1h\"", "\"-1s\""]),
        ("Restart", ["Restart.OnFailure", "Restart.Never", "(Restart)7"]),
        ("KillMode", ["KillMode.Mixed", "KillMode.Process", "(KillMode)9"]),
        ("StopSignal", ["\"SIGQUIT\"", "\"HUP\"", "\"9\"", "\"SIGFOO\"", "\"\""]),
        ("Backoff", ["\"1s\"", "\"100ms\"", "\"x\"", "\"40s\""]),
        ("BackoffMax", ["\"10s\"", "\"50ms\"", "\"\""]),
        ("StartLimit", ["3", "0", "-2"]),
        ("Schedule", ["\"0 3 * * *\"", "\"@hourly\"", "\"*/30 * * * * *\"", "\"61 * * * *\"", "\"\""]),
        ("OneShot", ["true", "false"]),
        ("Daemonizes", ["true"]),
        ("Critical", ["true"]),
        ("Stdin", ["true", "false"]),
        ("User", ["\"nobody\"", "\"0:0\"", "\"\"", "\"www-data:www-data\"", "\":x\"", "\"a b\""]),
        ("WorkingDirectory", ["\"/tmp\"", "\"\""]),
        ("MatchName", ["\"apache2\""]),
        ("CleanupTimeout", ["\"100ms\"", "\"q\""]),
        ("MinUptime", ["\"2s\""]),
        ("StartWindow", ["\"20s\"", "\"1 s\""]),
    ];

    public static Declarations From(Tape t)
    {
        var enums = new List<EnumDecl>();
        for (var i = 0; i < t.Choose(3); i++)
        {
            var members = new List<string>();
            for (var k = t.Choose(5); k > 0; k--)
            {
                var m = t.Pick(EnumMembers);
                if (!members.Contains(m)) members.Add(m);
            }
            if (members.Count == 0 && !t.Chance(4)) members.Add("A");
            enums.Add(new EnumDecl($"E{i}", t.Chance(4), [.. members]));
        }
        var count = 1 + t.Choose(4);
        var services = new List<ServiceDecl>();
        for (var i = 0; i < count; i++)
        {
            var service = Service(t, i, count, enums);
            // The same class name in two namespaces is valid C#; in one namespace it is one partial class with two
            // [Service] attributes, which the compiler refuses (CS0579) before the generator has anything to say.
            if (services.Any(x => x.Namespace == service.Namespace && x.Nesting == service.Nesting && x.ClassName == service.ClassName))
                service = service with { ClassName = service.ClassName.TrimStart('@') + i };
            services.Add(service);
        }
        return new Declarations(enums, services);
    }

    private static ServiceDecl Service(Tape t, int index, int count, List<EnumDecl> enums)
    {
        var className = index == 0 && !t.Chance(3) ? "Web" : t.Chance(3) ? t.Pick(ClassNames) : ClassNames[index % 4] + index;
        var kind = t.Chance(20) ? t.Pick(["record", "struct", "interface"]) : "class";
        var nsStyle = t.Choose(5);
        var nesting = t.Chance(4) ? t.Choose(5) : 0;
        var partial = !t.Chance(20);
        var serviceName = t.Chance(6) ? t.Pick(ServiceNames) : index == 0 ? "web" : $"svc{index}";
        var settings = new List<string>();
        for (var k = t.Choose(4); k > 0; k--)
        {
            var (key, values) = t.Pick(SettingPool);
            // The first value of each setting is valid; an invalid one about a third of the time.
            var value = t.Chance(4) ? t.Pick(values) : values[0];
            if (!settings.Any(s => s.StartsWith(key + " ", StringComparison.Ordinal))) settings.Add($"{key} = {value}");
        }
        var deps = new List<int>();
        for (var k = t.Chance(2) ? t.Choose(3) : 0; k > 0; k--)
        {
            var d = t.Choose(count);
            if (!deps.Contains(d)) deps.Add(d);
        }
        var dependsOnNonService = t.Chance(25);
        var options = new List<OptionDecl>();
        for (var k = t.Choose(5); k > 0; k--)
        {
            var option = Option(t, enums, t.Pick(PropertyNames), inBase: false);
            if (!options.Any(o => o.Property == option.Property)) options.Add(option);
        }
        var baseKind = t.Chance(4) ? 1 + t.Choose(2) : 0;
        string? baseArgument = null;
        if (baseKind == 1) options.Add(Option(t, enums, "Inherited", inBase: true));
        if (baseKind == 2)
        {
            baseArgument = t.Pick(["int", "string", "bool"]);
            var type = baseArgument switch
            {
                "int" => new OptionType("int", ValueKind.Int, false),
                "bool" => new OptionType("bool", ValueKind.Bool, false),
                _ => new OptionType("string", ValueKind.String, true),
            };
            options.Add(new OptionDecl("Gen", null, type, "public", "{ get; init; }", false, null, Default(type, null), InBase: true));
        }
        var commandPlace = t.Chance(10) ? t.Choose(3) == 0 ? 2 : 3 : baseKind == 1 && t.Chance(2) ? 1 : 0;
        var ready = t.Chance(4) ? t.Pick(["public Readiness Ready => Readiness.Tcp(8080);", "public Readiness? Ready => null;",
            "public Readiness Ready => Readiness.Http(8080, \"/ready\");", "public string Ready => \"tcp:80\";",
                "public static Readiness Ready => Readiness.Tcp(1);"]) : null;
        var alive = t.Chance(5) ? t.Pick(["public Liveness Alive => Liveness.Tcp(8080);", "public Liveness? Alive => null;",
            "public Readiness Alive => Readiness.Tcp(1);"]) : null;
        var members = new List<string>();
        if (t.Chance(8))
            members.Add(t.Pick(["public string ServiceName => \"mine\";", "public const string ServiceName = \"mine\";",
                "public static int Bind() => 1;",
                "public int Flags;", "public string Help => \"\";", "public required int Must { get; init; }",
                    "public required int MustField;",
                "public static string Name => \"n\";", "public int Rest => 0;"]));
        var constructor = t.Chance(8) ? t.Pick(["public {0}() { }", "public {0}(int x) { }", "public {0}(int x = 1) { }",
            "private {0}() { }"]) : null;
        return new ServiceDecl(index, className, kind, nsStyle, nesting, partial, serviceName, settings, deps, dependsOnNonService, options,
            commandPlace, ready, alive, baseKind, baseArgument, members, constructor);
    }

    private static OptionDecl Option(Tape t, List<EnumDecl> enums, string property, bool inBase)
    {
        var type = Type(t, enums);
        var explicitName = t.Chance(8) ? t.Pick(["port", "my-opt", "prefix", "x", "Port", "a--b"]) : null;
        var visibility = t.Chance(16) ? t.Pick(["internal", "private", "protected", "protected internal"]) : "public";
        var accessors = t.Chance(6) ? t.Pick(["{ get; set; }", "{ get; private set; }", "{ get; }",
            "{ private get; init; }"]) : "{ get; init; }";
        // No value of an enum without members can be given, so such an option is never required here.
        var required = t.Chance(8) && !(type.Enum is { Members.Length: 0 });
        var initializer = t.Chance(2) ? Initializer(t, type) : null;
        return new OptionDecl(property, explicitName, type, visibility, accessors, required, initializer, Default(type, initializer),
            inBase);
    }

    private static OptionType Type(Tape t, List<EnumDecl> enums)
    {
        var nullable = t.Chance(4);
        var q = nullable ? "?" : "";
        switch (t.Chance(12) ? 7 + t.Choose(2) : t.Choose(enums.Count > 0 ? 11 : 10))
        {
            case 0: return new("string" + q, ValueKind.String, nullable);
            case 1: return new("bool" + q, ValueKind.Bool, nullable);
            case 2: return new("int" + q, ValueKind.Int, nullable);
            case 3: return new("long" + q, ValueKind.Long, nullable);
            case 4: return new("double" + q, ValueKind.Double, nullable);
            case 5: return new("System.TimeSpan" + q, ValueKind.Duration, nullable);
            case 6: return new("string[]", ValueKind.List, false);
            case 7 when t.Chance(2): return new("System.DateTime" + q, ValueKind.Unsupported, nullable);
            case 8 when t.Chance(2): return new("System.Collections.Generic.List<int>", ValueKind.Unsupported, false);
            case 7 or 8: return new("int" + q, ValueKind.Int, nullable);
            case 9: return new("string" + q, ValueKind.String, nullable);
            default:
                var e = t.Pick(enums);
                return new(e.FullName + q, ValueKind.Enum, nullable, e);
        }
    }

    private static string? Initializer(Tape t, OptionType type) => type.Kind switch
    {
        ValueKind.String => t.Pick(["\"127.0.0.1\"", "\"\"", "null!"]),
        ValueKind.Bool => t.Pick(["true", "false"]),
        ValueKind.Int => t.Pick(["22", "-1"]),
        ValueKind.Long => t.Pick(["5000000000L", "0"]),
        ValueKind.Double => t.Pick(["0.5", "-2.25"]),
        ValueKind.Duration => "System.TimeSpan.FromSeconds(5)",
        ValueKind.List => t.Pick(["[]", "[\"a\", \"b\"]"]),
        ValueKind.Enum when type.Enum!.Members.Length > 0 => $"{type.Enum.FullName}.{t.Pick(type.Enum.Members)}",
        _ => null,
    };

    /// <summary>What the service's Command shows for an option left out: its initializer's value, or the type's default.</summary>
    private static string Default(OptionType type, string? initializer)
    {
        if (initializer is null)
            return type.Nullable || type.Kind is ValueKind.String or ValueKind.List ? "<null>" : type.Kind switch
            {
                ValueKind.Bool => "False",
                ValueKind.Duration => "0",
                ValueKind.Enum => Shown.EnumDefault(type.Enum!),
                _ => "0",
            };
        return type.Kind switch
        {
            ValueKind.String => initializer == "null!" ? "<null>" : "s:" + initializer.Trim('"'),
            ValueKind.Bool => initializer == "true" ? "True" : "False",
            ValueKind.Long => initializer.TrimEnd('L'),
            ValueKind.Duration => TimeSpan.FromSeconds(5).Ticks.ToString(CultureInfo.InvariantCulture),
            ValueKind.List => initializer == "[]" ? "[]" : "[a\u241Fb]",
            ValueKind.Enum => initializer.Substring(initializer.LastIndexOf('.') + 1).TrimStart('@'),
            _ => initializer,
        };
    }

    /// <summary>The sources: the enums' file, the formatter every Command uses, and one file per service.</summary>
    public string[] Render()
    {
        var files = new List<string>();
        var e = new StringBuilder("namespace Shared;\n");
        foreach (var en in Enums)
            e.Append(en.Flags ? "[System.Flags] " : "").Append($"public enum {en.Name} {{ {string.Join(", ", en.Members)} }}\n");
        files.Add(e.ToString());
        files.Add(Shown.Source);
        foreach (var s in Services) files.Add(RenderService(s));
        return [.. files];
    }

    private string RenderService(ServiceDecl s)
    {
        var sb = new StringBuilder("using Tend;\n");
        var close = "";
        switch (s.NamespaceStyle)
        {
            case 1: sb.Append("namespace App;\n"); break;
            case 2: sb.Append("namespace App {\n"); close = "}\n"; break;
            case 3: sb.Append("namespace App { namespace Inner {\n"); close = "} }\n"; break;
            case 4: sb.Append("namespace Other;\n"); break;
        }
        // Base classes first: a plain one with an option (and perhaps the Command), or a generic one.
        var baseOptions = s.Options.Where(o => o.InBase).ToList();
        var baseName = $"Base{s.Index}";
        if (s.Base == 1)
        {
            sb.Append($"public class {baseName}\n{{\n");
            foreach (var o in baseOptions) sb.Append(Property(o));
            if (s.CommandPlace == 1) sb.Append("    public Command Command => new(\"/bin/base\", PropertyTest.Shown.Of(Inherited));\n");
            sb.Append("}\n");
        }
        if (s.Base == 2)
            sb.Append($"public class {baseName}<T>\n{{\n    [Option] public T Gen {{ get; init; }} = default!;\n}}\n");
        var outerClose = "";
        switch (s.Nesting)
        {
            case 1: sb.Append($"public partial class Outer{s.Index}\n{{\n"); outerClose = "}\n"; break;
            case 2: sb.Append($"public class Outer{s.Index}\n{{\n"); outerClose = "}\n"; break;
            case 4: sb.Append($"public partial class Outer{s.Index}<T>\n{{\n"); outerClose = "}\n"; break;
        }
        var attribute = new List<string> { SourceWriter.Literal(s.ServiceName) };
        attribute.AddRange(s.Settings);
        var deps = s.DependsOn.Select(d => $"typeof({Services[d].FullName})").ToList();
        if (s.DependsOnNonService) deps.Add("typeof(string)");
        if (deps.Count > 0) attribute.Add($"DependsOn = [{string.Join(", ", deps)}]");
        var modifiers = (s.Nesting == 3 ? "file " : "public ") + (s.Partial ? "partial " : "");
        var inheritance = s.Base switch { 1 => $" : {baseName}", 2 => $" : {baseName}<{s.BaseArgument}>", _ => "" };
        sb.Append($"[Service({string.Join(", ", attribute)})]\n{modifiers}{s.Kind} {s.ClassName}{inheritance}\n{{\n");
        foreach (var o in s.Options.Where(o => !o.InBase)) sb.Append(Property(o));
        if (s.CommandPlace == 0)
        {
            var shown = s.Options.Select(o => $"PropertyTest.Shown.Of({(o.InBase ? o.Name : o.Property)})");
            sb.Append($"    public Command Command => new(\"/bin/svc\"{string.Concat(shown.Select(x => ", " + x))});\n");
        }
        if (s.CommandPlace == 3) sb.Append("    public string Command => \"/bin/x\";\n");
        if (s.Ready is not null) sb.Append("    ").Append(s.Ready).Append('\n');
        if (s.Alive is not null) sb.Append("    ").Append(s.Alive).Append('\n');
        foreach (var m in s.Members) sb.Append("    ").Append(m).Append('\n');
        if (s.Constructor is not null) sb.Append("    ").Append(s.Constructor.Replace("{0}", s.ClassName)).Append('\n');
        sb.Append("}\n").Append(outerClose).Append(close);
        return sb.ToString();
    }

    private static string Property(OptionDecl o)
    {
        var attr = o.ExplicitName is null ? "[Option]" : $"[Option({SourceWriter.Literal(o.ExplicitName)})]";
        var init = o.Initializer is null ? "" : $" = {o.Initializer};";
        return $"    {attr} {o.Visibility} {(o.Required ? "required " : "")}{o.Type.CSharp} {o.Property} {o.Accessors}{init}\n";
    }
}
