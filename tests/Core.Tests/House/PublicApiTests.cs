using System.ComponentModel;
using System.Reflection;

namespace Tend.Tests.House;

/// <summary>
/// Tend.dll's public surface, reviewed on change: what a declaration and its program use, and — hidden from
/// IntelliSense ([EditorBrowsable(Never)]) — what the generated code must reach. The baseline is
/// tests/Core.Tests/House/PublicApi.txt; on a change the test fails with the lines added and removed.
/// </summary>
[Trait("Category", "Unit")]
public class PublicApiTests
{
    private const string Baseline = "tests/Core.Tests/House/PublicApi.txt";

    /// <summary>One line per public type (hidden ones marked), then one per public member, sorted.</summary>
    internal static List<string> Surface(Assembly assembly)
    {
        var lines = new List<string>();
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var t in assembly.GetExportedTypes())
        {
            var hidden = IsHidden(t) ? " [hidden]" : "";
            var kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed
                ? "static class" : "class";
            lines.Add($"{Name(t)}: {kind}{hidden}");
            foreach (var m in t.GetMembers(Declared).Where(m => m is not MethodInfo { IsSpecialName: true } && !IsCompilerMade(m)))
                lines.Add($"{Name(t)}: {Describe(m)}");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static bool IsHidden(Type t) =>
        t.GetCustomAttribute<EditorBrowsableAttribute>()?.State == EditorBrowsableState.Never
        || (t.DeclaringType is { } d && IsHidden(d));

    private static bool IsCompilerMade(MemberInfo m) =>
        m.Name is "<Clone>$" or "EqualityContract" || m.Name.StartsWith('<') || m.DeclaringType?.IsEnum == true && m.Name == "value__";

    private static string Name(Type t)
    {
        if (!t.IsGenericType) return t.FullName!;
        var outer = t.DeclaringType is { } d ? Name(d)[(d.Namespace!.Length + 1)..] + "+" : "";
        return $"{t.Namespace}.{outer}{t.Name.Split('`')[0]}<{string.Join(",", t.GetGenericArguments().Select(a => a.Name))}>";
    }

    private static string Short(Type t) => t.IsGenericType
        ? $"{t.Name.Split('`')[0]}<{string.Join(",", t.GetGenericArguments().Select(Short))}>"
        : t.IsArray ? Short(t.GetElementType()!) + "[]" : t.IsByRef ? Short(t.GetElementType()!) + "&" : t.Name;

    private static string Describe(MemberInfo m) => m switch
    {
        ConstructorInfo c => $".ctor({Parameters(c)})",
        MethodInfo x => $"{(x.IsStatic ? "static " : "")}{Short(x.ReturnType)} {x.Name}({Parameters(x)})",
        PropertyInfo p =>
            $"{(p.GetMethod?.IsStatic == true ? "static " : "")}{Short(p.PropertyType)} {p.Name} {{{(p.GetMethod?.IsPublic == true ? " " +
                "get;" : "")}{(p.SetMethod?.IsPublic == true ? " set;" : "")} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Short(f.FieldType)} {f.Name}",
        EventInfo e => $"event {Short(e.EventHandlerType!)} {e.Name}",
        Type n => $"nested {n.Name}",
        _ => m.ToString()!,
    };

    private static string Parameters(MethodBase m) => string.Join(", ",
        m.GetParameters().Select(p => $"{Short(p.ParameterType)} {p.Name}"));

    [Fact]
    public void The_public_API_is_the_reviewed_baseline()
    {
        var actual = Surface(typeof(TendHost).Assembly);
        var path = Path.Combine(TendRun.RepoRoot, Baseline);
        if (Environment.GetEnvironmentVariable("TEND_UPDATE_API") == "1") File.WriteAllLines(path, actual);
        var expected = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"Tend.dll's public API changed ({actual.Count(l => l.Contains(": class") || l.Contains(": static class") || l.Contains(": " +
                "struct") || l.Contains(": enum") || l.Contains(": interface"))} public types). " +
            "Review it; if it is meant, regenerate the baseline with\n  TEND_UPDATE_API=1 dotnet test tests/Core.Tests -c Release " +
                "--filter FullyQualifiedName~PublicApiTests\n" +
            "and commit " + Baseline + ".\n" + string.Join("\n", added.Select(l => "+ " + l).Concat(removed.Select(l => "- " + l))));
    }

    [Fact]
    public void Only_declaration_types_are_visible_to_users()
    {
        // What IntelliSense offers a user: the public types not hidden. The generated code's entry points are hidden.
        var visible = typeof(TendHost).Assembly.GetExportedTypes().Where(t => !IsHidden(t)).Select(t => t.FullName!).Order().ToList();
        Assert.True(visible.Count <= 20, $"{visible.Count} public types are visible to users:\n{string.Join("\n", visible)}");
    }
}
