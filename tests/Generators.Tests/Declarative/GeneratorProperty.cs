using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.CodeAnalysis;
using Tend.Arguments;

namespace Tend.Generators.Tests.Declarative;

/// <summary>
/// The property every declaration must have, checked on one random set of declarations: the generator does not
/// throw and writes no code with an error or a warning; either everything builds — and then the binder gives every
/// service the values given on the command line and in the environment, and the service table takes the bound
/// services as they are — or every error is a TEND diagnostic at the user's own code. A case whose C# is invalid
/// without the generator (two classes of one name, a property named like its class) says nothing: it is counted
/// as discarded.
/// </summary>
internal static class GeneratorProperty
{
    /// <summary>How often each TEND error was the outcome, and each compiler error a reason to discard a case: what the cases
    /// covered.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Seen = new();

    /// <summary>Checks one case; returns false when it was discarded. Throws with the sources and the problem otherwise.</summary>
    public static bool Check(Declarations d, Tape values, out bool builds)
    {
        builds = false;
        var sources = d.Render();
        var invalid = GeneratorHarness.Compilation(sources).GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).ToList();
        if (invalid.Count > 0)
        {
            Seen.AddOrUpdate("discarded for " + invalid[0].Id, 1, (_, c) => c + 1);
            return false;
        }
        var (result, output, diagnostics) = GeneratorHarness.Run(sources);
        var exception = result.Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
        if (exception is not null) Fail(sources, $"the generator threw {exception}");
        var generated = result.GeneratedTrees.ToHashSet();
        var all = output.GetDiagnostics().Concat(diagnostics).ToList();
        var inGenerated = all.Where(x => x.Severity >= DiagnosticSeverity.Warning && x.Location.SourceTree is { } tree
            && generated.Contains(tree)).ToList();
        if (inGenerated.Count > 0) Fail(sources, "generated code has problems:\n" + Show(inGenerated));
        var errors = all.Where(x => x.Severity == DiagnosticSeverity.Error).ToList();
        var notTend = errors.Where(x => !x.Id.StartsWith("TEND",
            StringComparison.Ordinal) || x.Location.SourceTree is not { } tree || generated.Contains(tree)).ToList();
        if (notTend.Count > 0) Fail(sources, "errors that are not a TEND diagnostic at the user's code:\n" + Show(notTend));
        foreach (var id in errors.Select(x => x.Id).Distinct()) Seen.AddOrUpdate(id, 1, (_, c) => c + 1);
        if (errors.Count > 0) return true;
        RoundTrip(d, sources, output, values);
        builds = true;
        return true;
    }

    private static void RoundTrip(Declarations d, string[] sources, Compilation output, Tape t)
    {
        using var pe = new MemoryStream();
        var emit = output.Emit(pe);
        if (!emit.Success) Fail(sources, "does not emit:\n" + Show(emit.Diagnostics.Where(x => x.Severity == DiagnosticSeverity.Error)));
        pe.Position = 0;
        var alc = new System.Runtime.Loader.AssemblyLoadContext("property", isCollectible: true);
        try
        {
            var app = alc.LoadFromStream(pe).GetType("TendApp")!;
            var args = new List<string>();
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            var expected = new Dictionary<string, List<string>>();
            foreach (var s in d.Services)
            {
                var shown = new List<string>();
                foreach (var o in s.Options)
                {
                    var flag = $"--{s.ServiceName}-{o.ExplicitName ?? Names.Kebab(o.Name)}";
                    var variable = $"TEND_{s.ServiceName}_{o.ExplicitName ?? Names.Kebab(o.Name)}".Replace('-', '_').ToUpperInvariant();
                    shown.Add(Give(t, o, flag, variable, args, env));
                }
                expected[s.ServiceName] = s.CommandPlace == 1 ? [shown[^1]] : shown;
            }
            BoundServices bound;
            try
            {
                Func<string, string?> lookup = name => env.TryGetValue(name, out var v) ? v : null;
                bound = (BoundServices)app.GetMethod("Bind")!.Invoke(null, [args.ToArray(), lookup])!;
                _ = bound.Services;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
            catch (UsageException e)
            {
                Fail(sources, $"binding {Quote(args)} with {Quote(env.Select(kv => $"{kv.Key}={kv.Value}"))} failed: {e.Message}");
                throw;
            }
            if (bound.Rest.Length > 0) Fail(sources,
                $"binding {Quote(args)} left {Quote(bound.Rest)} as Tend's own arguments or command lines");
            foreach (var spec in bound.Services)
            {
                var got = spec.Command.Arguments.ToList();
                if (!got.SequenceEqual(expected[spec.Name]))
                    Fail(sources,
                        $"service '{spec.Name}' got {Quote(got)}, expected {Quote(expected[spec.Name])}, " +
                            $"from {Quote(args)} with {Quote(env.Select(kv => $"{kv.Key}={kv.Value}"))}");
            }
            // What the declarations alone decide must have been refused at compile time, not when Tend starts.
            try { TendHost.CheckDeclared(bound.Services); }
            catch (Exception e) when (e is ArgumentException or UsageException)
            {
                Fail(sources, $"builds, but Tend refuses the declared services when it starts: {e.Message}");
            }
        }
        finally { alc.Unload(); }
    }

    /// <summary>Gives the option a random value (or none) on the command line, in the environment or both; returns what the service must
    /// show.</summary>
    private static string Give(Tape t, OptionDecl o, string flag, string variable, List<string> args, Dictionary<string, string> env)
    {
        var where = o.Required ? 1 + t.Choose(3) : t.Choose(4); // 0: not given, 1: command line, 2: environment, 3: both
        if (where == 0 || o.Type.Enum is { Members.Length: 0 }) return o.DefaultShown;
        if (o.Type.Kind == ValueKind.List)
        {
            var items = new List<string>();
            for (var k = 1 + t.Choose(3); k > 0; k--) items.Add(t.Pick(["a", "b c", "ünï", "x=y", "--z"]));
            if (where is 2 or 3) env[variable] = string.Join(",", t.Chance(2) ? items : items.Select(i => " " + i));
            if (where is 1 or 3)
            {
                if (t.Chance(2)) args.Add($"{flag}={string.Join(",", items)}");
                else foreach (var i in items) args.AddRange(i.StartsWith("--", StringComparison.Ordinal) ? [$"{flag}={i}"] : [flag, i]);
            }
            return "[" + string.Join("\u241F", items) + "]";
        }
        var (text, shown) = Value(t, o.Type);
        var cmdText = text;
        if (where == 3)
        {
            // Both: the command line wins; the environment holds another valid value.
            env[variable] = Value(t, o.Type).Text;
        }
        else if (where == 2)
        {
            env[variable] = text;
            return shown;
        }
        if (o.Type.Kind == ValueKind.Bool && shown == "True" && t.Chance(3)) args.Add(flag);
        else if (t.Chance(2) || (text.StartsWith("--", StringComparison.Ordinal) && text.Length > 2)) args.Add($"{flag}={cmdText}");
        else args.AddRange([flag, cmdText]);
        return shown;
    }

    private static (string Text, string Shown) Value(Tape t, OptionType type)
    {
        switch (type.Kind)
        {
            case ValueKind.String:
                var s = t.Pick(["x", "", "hello world", "--dash", "-v", "a=b", "ünï", "yes", "a,b", "--"]);
                return (s, "s:" + s);
            case ValueKind.Bool:
                var w = t.Pick(["true", "false", "True", "yes", "no", "1", "0", "on", "off", "FALSE", "Yes"]);
                return (w, w.ToLowerInvariant() is "true" or "yes" or "1" or "on" ? "True" : "False");
            case ValueKind.Int:
                var i = t.Pick([0, 1, -1, 8080, int.MaxValue, int.MinValue]);
                return (i.ToString(CultureInfo.InvariantCulture), i.ToString(CultureInfo.InvariantCulture));
            case ValueKind.Long:
                var l = t.Pick([0L, -7L, 5000000000L, long.MaxValue, long.MinValue]);
                return (l.ToString(CultureInfo.InvariantCulture), l.ToString(CultureInfo.InvariantCulture));
            case ValueKind.Double:
                var ds = t.Pick(["0.25", "-1e300", "1E-05", "3", "0.1", "-0.5"]);
                return (ds, double.Parse(ds, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture));
            case ValueKind.Duration:
                var (ts, ms) = t.Pick([("500ms", 500), ("5s", 5000), ("1m30s", 90_000), ("2h", 7_200_000), ("0s", 0), ("1h2m3s",
                    3_723_000)]);
                return (ts, TimeSpan.FromMilliseconds(ms).Ticks.ToString(CultureInfo.InvariantCulture));
            case ValueKind.Enum:
                var e = type.Enum!;
                var m = t.Pick(e.Names);
                // Another casing only where it names one member: 'gzip' is ambiguous beside Gzip and GZip.
                var unique = e.Names.Count(n => n.Equals(m, StringComparison.OrdinalIgnoreCase)) == 1;
                var written = unique ? t.Pick([m, m.ToLowerInvariant(), m.ToUpperInvariant()]) : m;
                return (written, m);
            default:
                throw new InvalidOperationException($"no values for {type.Kind}");
        }
    }

    private static string Quote(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => $"'{i}'")) + "]";

    private static string Show(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n",
            diagnostics.Select(x =>
            $"{x.Id} in {Path.GetFileName(x.Location.SourceTree?.FilePath ?? "?")} at {x.Location.GetLineSpan().StartLinePosition}: " +
                $"{x.GetMessage(CultureInfo.InvariantCulture)}"));

    private static void Fail(string[] sources, string problem) =>
        throw new PropertyFailure(problem + "\n--- declarations ---\n" + string.Join("\n// ---- next file ----\n",
            sources.Where(x => !x.StartsWith("namespace PropertyTest", StringComparison.Ordinal))));
}

/// <summary>A case that breaks the property: the problem and the declarations.</summary>
internal sealed class PropertyFailure(string message) : Exception(message);
