using Tend.Arguments;

namespace Tend.Export;

/// <summary>
/// The binder's view of which arguments set which declared service's options, found without a second parser: the
/// generated binder itself is asked how many arguments a flag takes (a value, a bool flag alone, <c>--x=V</c>), and a
/// flag belongs to the service whose name it starts with (<c>--web-port</c> is <c>web</c>'s). When one service's name
/// starts another's (<c>web</c>, <c>web-admin</c>), a flag both could own goes to both: the binder of a container
/// that runs only one of them binds the other's option and ignores it.
/// </summary>
internal static class DeclaredOptions
{
    /// <summary>For each service name, the arguments (in the order given) that set its options.</summary>
    /// <param name="args">The arguments export was given.</param>
    /// <param name="bind">The generated binder, with an empty environment.</param>
    /// <param name="serviceNames">Every declared service's name.</param>
    /// <param name="flags">Every flag the binder understands.</param>
    public static Dictionary<string, List<string>> Split(string[] args, Func<string[], BoundServices> bind,
        IReadOnlyList<string> serviceNames, IReadOnlyList<string> flags)
    {
        var result = serviceNames.ToDictionary(n => n, _ => new List<string>(), StringComparer.Ordinal);
        var declared = flags.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--") break;
            if (!arg.StartsWith("--", StringComparison.Ordinal)) continue;
            var eq = arg.IndexOf('=');
            var flag = eq > 0 ? arg[..eq] : arg;
            if (!declared.Contains(flag)) continue;
            var count = eq > 0 ? 1 : Arity(args, i, bind);
            foreach (var name in Owners(flag, serviceNames))
                result[name].AddRange(args.AsSpan(i, Math.Min(count, args.Length - i)));
            i += count - 1;
        }
        return result;
    }

    /// <summary>The services a declared flag may set: those whose name it starts with (none for <c>--only</c>, <c>--without</c>).</summary>
    public static IEnumerable<string> Owners(string flag, IReadOnlyList<string> serviceNames) =>
        serviceNames.Where(n => flag.StartsWith("--" + n + "-", StringComparison.Ordinal));

    /// <summary>The environment variable that sets a flag's option: <c>--web-port</c> gives <c>TEND_WEB_PORT</c> (the generator's
    /// rule).</summary>
    public static string EnvironmentName(string flag) => "TEND_" + flag[2..].Replace('-', '_').ToUpperInvariant();

    /// <summary>How many arguments the flag at <paramref name="i"/> takes, as the binder reads them: 1 or 2.</summary>
    private static int Arity(string[] args, int i, Func<string[], BoundServices> bind)
    {
        // Alone, a flag that needs a value is refused; one that does not (a bool flag) is taken.
        try { bind([args[i]]); }
        catch (UsageException) { return 2; }
        if (i + 1 >= args.Length) return 1;
        // A bool flag may still take a following true/false: then nothing is left over.
        try { return bind([args[i], args[i + 1]]).Rest.Length == 0 ? 2 : 1; }
        catch (UsageException) { return 1; }
    }
}
