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
    public static UsageException Twice(string flag) => new($"option '{flag}' is given twice: give it once (only string[] options repeat)");

    /// <summary>Reads the value of <paramref name="flag"/>: the inline <c>=VALUE</c>, else the next argument.</summary>
    public static string Value(string[] args, ref int i, string flag, string? inline)
    {
        if (inline is not null) return inline;
        if (i + 1 >= args.Length || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
            throw new UsageException($"option '{flag}' needs a value: give it after the option, or as {flag}=VALUE");
        return args[++i];
    }

    /// <summary>Parses an int.</summary>
    public static int Int32(string flag, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw BadValue(flag, value, "an integer (int)");

    /// <summary>Parses a long.</summary>
    public static long Int64(string flag, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw BadValue(flag, value, "an integer (long)");

    /// <summary>Parses a double.</summary>
    public static double Double(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw BadValue(flag, value, "a number (double), such as 0.5");

    /// <summary>Parses a duration: <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
    public static TimeSpan TimeSpan(string flag, string value) =>
        Duration.TryParse(value, out var v) ? v : throw BadValue(flag, value, Duration.Expected);

    /// <summary>Parses true/false (also 1/0, yes/no, on/off).</summary>
    public static bool Boolean(string flag, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw BadValue(flag, value, "true or false"),
    };

    /// <summary>Splits a list given in one environment variable (comma-separated).</summary>
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

    private static string Source(string flag) => flag.StartsWith('-') ? $"option '{flag}'" : $"environment variable {flag}";
}
