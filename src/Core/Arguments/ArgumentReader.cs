namespace Tend.Arguments;

/// <summary>
/// The one grammar of Tend's arguments, driven by a table of <see cref="FlagSpec"/> rows: <c>--flag VALUE</c> or
/// <c>--flag=VALUE</c> (split at the first '='); a switch alone, or with a bool word (the same words as the
/// environment's); <c>-h</c> for <c>--help</c>; <c>--</c> ends the flags; any argument that does not start with '-'
/// (or is '-' alone) is positional. A flag given twice, a value missing, a word that is not a bool are refused with
/// the same words by every parser: <c>tend</c>'s options, <c>tend export</c>, <c>tend wait-for</c>, the control verbs
/// and the generated binder (which shares OptionParsers.Value and <see cref="OptionParsers.BooleanValue"/>).
/// </summary>
internal sealed class ArgumentReader(IReadOnlyList<string> args, IReadOnlyList<FlagSpec> table, int start = 0)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private int _next = start;

    /// <summary>After <c>--</c>: the rest, all positional.</summary>
    public List<string> AfterDashes { get; } = [];

    /// <summary>The index in the arguments of the last one read (for messages that count arguments).</summary>
    public int Index { get; private set; } = -1;

    /// <summary>
    /// Reads the next argument: a flag of the table with its value (a switch's is "true" or its word), or a positional
    /// argument (<c>Flag</c> null). False at the end, or at <c>--</c> (then <see cref="AfterDashes"/> holds the rest).
    /// A flag that is not in the table is given to <paramref name="unknown"/> with its inline value, if there is one:
    /// it throws, or returns true to have the argument taken as positional.
    /// </summary>
    /// <exception cref="UsageException">A flag given twice, a value missing, a switch's value that is not a bool word.</exception>
    public bool Next(out FlagSpec? flag, out string value, Func<string, string?, bool>? unknown = null)
    {
        flag = null;
        value = "";
        while (_next < args.Count)
        {
            var i = _next++;
            Index = i;
            var arg = args[i];
            if (arg == "--")
            {
                for (; _next < args.Count; _next++) AfterDashes.Add(args[_next]);
                return false;
            }
            if (!arg.StartsWith('-') || arg == "-")
            {
                value = arg;
                return true;
            }
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            string? inline = eq > 0 ? arg[(eq + 1)..] : null;
            if (name == "-h") name = "--help";
            flag = table.FirstOrDefault(f => f.Name == name);
            if (flag is null)
            {
                if (unknown is null) throw new UsageException(HostOptions.UnknownOption(name, table.Select(f => f.Name)));
                if (!unknown(name, inline)) continue;
                value = arg;
                return true;
            }
            if (!_seen.Add(name) && !flag.Repeatable) throw OptionParsers.Twice(name);
            var index = i;
            if (flag.Arity == FlagArity.Bool)
            {
                var word = OptionParsers.BooleanValue(ToArray(), ref index, inline);
                _next = index + 1;
                value = OptionParsers.Boolean(name, word) ? "true" : "false";
            }
            else
            {
                value = OptionParsers.Value(ToArray(), ref index, name, inline, flag.ValueName);
                _next = index + 1;
            }
            return true;
        }
        return false;
    }

    private string[] _array = [];

    private string[] ToArray() => _array.Length == args.Count ? _array : _array = [.. args];
}
