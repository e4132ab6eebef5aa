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
    public static UsageException Twice(string flag) => new($"option '{flag}' is given twice: give it once (only string[] options repeat)");

    /// <summary>Reads the value of <paramref name="flag"/>: the inline <c>=VALUE</c>, else the next argument.</summary>
    public static string Value(string[] args, ref int i, string flag, string? inline)
    {
        if (inline is not null) return inline;
        if (i + 1 >= args.Length || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
            throw new UsageException($"option '{flag}' needs a value: give it after the option, or as {flag}=VALUE");
        return args[++i];
    }

    /// <summary>
    /// Reads a bool flag's value: <c>--x</c> alone is true; <c>--x=VALUE</c>, or <c>--x true</c> / <c>--x false</c>
    /// (only these two words are taken from the next argument, so a command line after a flag stays one).
    /// </summary>
    public static string BooleanValue(string[] args, ref int i, string? inline)
    {
        if (inline is not null) return inline;
        if (i + 1 < args.Length && (args[i + 1].Equals("true", StringComparison.OrdinalIgnoreCase) || args[i + 1].Equals("false", StringComparison.OrdinalIgnoreCase)))
            return args[++i];
        return "true";
    }

    /// <summary>An error for a required option given neither on the command line nor in the environment.</summary>
    public static UsageException Missing(string service, string flag, string env) =>
        new($"service '{service}' needs option '{flag}' (or environment variable {env}): give it, e.g. {flag} VALUE, or leave the service out with --without {service}");

    /// <summary>
    /// An error for a service's own code that threw while Tend built the service (its constructor, an option's
    /// initializer, <c>Command</c> or <c>Ready</c>): one line naming the service and the member, no stack trace.
    /// </summary>
    public static UsageException UserCode(string service, string member, Exception e) =>
        new($"service '{service}': {member} threw {e.GetType().Name}: {OneLine(PlainMessage.Of(e))}; fix the declaration or the option values given");

    /// <summary>An error for a <c>Command</c> that gave null.</summary>
    public static UsageException NullCommand(string service) =>
        new($"service '{service}': its Command is null: return a Command, such as new(\"/usr/sbin/sshd\", \"-D\")");

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

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Source(string flag) => flag.StartsWith('-') ? $"option '{flag}'" : $"environment variable {flag}";
}
