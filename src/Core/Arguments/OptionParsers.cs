using Tend.Logging;
using System.ComponentModel;
using System.Globalization;

namespace Tend.Arguments;

/// <summary>Typed parsing of option values for the generated binder, with errors that name the flag, the value and the type.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class OptionParsers
{
    /// <summary>An error for a value that does not parse.</summary>
    public static UsageException BadValue(string flag, string value, string expected) =>
        new($"{Source(flag)} got '{value}': expected {expected}");

    /// <summary>An error for a flag given twice.</summary>
    public static UsageException Twice(string flag) => new($"option '{flag}' is given twice: give it once");

    /// <summary>Reads the value of <paramref name="flag"/>: the inline <c>=VALUE</c>, else the next argument.</summary>
    public static string Value(string[] args, ref int i, string flag, string? inline) => Value(args, ref i, flag, inline, null);

    /// <summary>Reads the value of <paramref name="flag"/>, named <paramref name="valueName"/> in the error (VALUE when null).</summary>
    public static string Value(string[] args, ref int i, string flag, string? inline, string? valueName)
    {
        if (inline is not null) return inline;
        // A next argument that is a flag is not this one's value: "--stop-timeout --log-prefix" misses a value.
        if (i + 1 >= args.Length || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
            throw new UsageException($"option '{flag}' needs a value: give {valueName ?? "VALUE"} after the option, or " +
                $"as {flag}={valueName ?? "VALUE"}");
        return args[++i];
    }

    /// <summary>
    /// Reads a bool flag's value: <c>--x</c> alone is true; <c>--x=WORD</c>, or <c>--x WORD</c> when the next argument
    /// is a bool word (<see cref="BooleanWord"/>: the same words as everywhere else). Any other next argument is not
    /// the flag's: a command line after a flag stays one.
    /// </summary>
    public static string BooleanValue(string[] args, ref int i, string? inline)
    {
        if (inline is not null) return inline;
        if (i + 1 < args.Length && BooleanWord(args[i + 1]) is not null) return args[++i];
        return "true";
    }

    /// <summary>What the bool options expect, for messages.</summary>
    public const string BooleanExpected = "true or false (also yes/no, on/off, 1/0)";

    /// <summary>
    /// The one rule for bool words, on the command line and in the environment alike: true, yes, on, 1 and false, no,
    /// off, 0, in any case; null for any other text.
    /// </summary>
    public static bool? BooleanWord(string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>An error for a required option given neither on the command line nor in the environment.</summary>
    public static UsageException Missing(string service, string flag, string env) =>
        new($"service '{service}' needs option '{flag}' (or environment variable {env}): give it, e.g. {flag} VALUE, or leave the " +
            $"service out with --without {service}");

    /// <summary>
    /// An error for a service's own code that threw while Tend built the service (its constructor, an option's
    /// initializer, <c>Command</c> or <c>Ready</c>): one line naming the service and the member, no stack trace.
    /// </summary>
    /// <param name="service">The service's name.</param>
    /// <param name="member">What threw: "its Command", "its Ready"….</param>
    /// <param name="e">The exception.</param>
    /// <param name="given">The service's options that were given, each as <c>--flag=VALUE</c> or <c>VARIABLE=VALUE</c> (null: not
    /// given).</param>
    public static UsageException UserCode(string service, string member, Exception e, params string?[] given)
    {
        var named = given.Where(g => g is not null).ToList();
        var options = named.Count == 0 ? "" : $" (given: {string.Join(", ", named)})";
        return new($"service '{service}': {member} threw {e.GetType().Name}: {Describe(e)}; fix the declaration or the option values " +
            $"given{options}");
    }

    /// <summary>
    /// An exception's message in English, in one line. A NativeAOT build without resource strings (UseSystemResourceKeys)
    /// gives the runtime's keys instead of its sentences (<c>Arg_NullReferenceException</c>, and
    /// <c>Arg_ParamName_Name</c> appended to an argument exception's own words): the own words are kept, the parameter
    /// named plainly, and a bare key replaced by what it means.
    /// </summary>
    internal static string Describe(Exception e)
    {
        var text = e.Message; // read raw: a resource key in it is replaced below, by what the key means
        if (e is ArgumentException a)
        {
            // The runtime appends the parameter (and an out-of-range value) on lines of their own, or as " (Parameter 'x')".
            var first = text.Split(['\r', '\n'], 2)[0];
            if (a.ParamName is { } name && first.EndsWith($" (Parameter '{name}')",
                StringComparison.Ordinal)) first = first[..^$" (Parameter '{name}')".Length];
            var value = a is ArgumentOutOfRangeException { ActualValue: { } v }
                ? $", got {Convert.ToString(v, CultureInfo.InvariantCulture)}" : "";
            text = IsResourceKey(first) ? "an argument is not valid" : first;
            if (a.ParamName is { } param) text += $" (parameter '{param}'{value})";
        }
        else if (IsResourceKey(text))
            text = e switch
            {
                NullReferenceException => "a null reference (a nullable option or member left null?)",
                InvalidOperationException => "an operation that is not valid in this state",
                FormatException => "a text that is not in the expected format",
                OverflowException => "an arithmetic overflow",
                DivideByZeroException => "a division by zero",
                IndexOutOfRangeException => "an index outside an array's bounds",
                _ => "no message",
            };
        return OneLine(text);
    }

    /// <summary>A runtime resource key (<c>Arg_NullReferenceException</c>) rather than a sentence.</summary>
    private static bool IsResourceKey(string text) =>
        text.Length > 0 && !text.Contains(' ', StringComparison.Ordinal) && text.Contains('_', StringComparison.Ordinal);

    /// <summary>An error for a <c>Command</c> that gave null.</summary>
    public static UsageException NullCommand(string service) =>
        new($"service '{service}': its Command is null: return a Command, such as new(\"/usr/sbin/sshd\", \"-D\")");

    /// <summary>Parses an int.</summary>
    public static int Int32(string flag, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw BadValue(flag, value,
            "an integer (int)");

    /// <summary>Parses a long.</summary>
    public static long Int64(string flag, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw BadValue(flag, value,
            "an integer (long)");

    /// <summary>Parses a double.</summary>
    public static double Double(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw BadValue(flag,
            value, "a number (double), such as 0.5");

    /// <summary>Parses a duration: <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
    public static TimeSpan TimeSpan(string flag, string value) =>
        Duration.TryParse(value, out var v) ? v : throw BadValue(flag, value, Duration.Expected);

    /// <summary>Parses a bool word (<see cref="BooleanWord"/>).</summary>
    public static bool Boolean(string flag, string value) => BooleanWord(value) ?? throw BadValue(flag, value, BooleanExpected);

    /// <summary>Splits a list option's value, the same from the command line and the environment (comma-separated).</summary>
    public static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>An option's default for <c>--help</c>.</summary>
    public static string Format(object? value) => value switch
    {
        null => "none",
        string s => s.Length == 0 ? "\"\"" : s,
        bool b => b ? "true" : "false",
        System.TimeSpan t => Duration.Format(t),
        string[] a => a.Length == 0 ? "none" : string.Join(",", a),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture).ToLowerInvariant(),
        _ => value.ToString() ?? "",
    };

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'],
        StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Source(string flag) => flag.StartsWith('-') ? $"option '{flag}'" : $"environment variable {flag}";
}
