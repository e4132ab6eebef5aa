using System;
using System.Globalization;

namespace Tend;

/// <summary>Durations as users write them: <c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, or combined like <c>1m30s</c>.</summary>
internal static class Duration
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Expected = "a duration such as 500ms, 5s, 2m, 1h or 1m30s";

    /// <summary>Parses a duration; false when the text is not one.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text!.Trim();
        var i = 0;
        double totalMs = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.')) i++;
            if (i == start) return false;
            if (!double.TryParse(s.Substring(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                out var number)) return false;
            var unitStart = i;
            while (i < s.Length && char.IsLetter(s[i])) i++;
            double scale;
            switch (s.Substring(unitStart, i - unitStart))
            {
                case "ms": scale = 1; break;
                case "s": scale = 1000; break;
                case "m": scale = 60_000; break;
                case "h": scale = 3_600_000; break;
                default: return false;
            }
            totalMs += number * scale;
        }
        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds / 2) return false;
        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    /// <summary>Formats a duration in the same notation (<c>1500ms</c>, <c>5s</c>, <c>2m</c>).</summary>
    public static string Format(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        if (ms % 3_600_000 == 0 && ms != 0) return (ms / 3_600_000).ToString(CultureInfo.InvariantCulture) + "h";
        if (ms % 60_000 == 0 && ms != 0) return (ms / 60_000).ToString(CultureInfo.InvariantCulture) + "m";
        if (ms % 1000 == 0) return (ms / 1000).ToString(CultureInfo.InvariantCulture) + "s";
        return ms.ToString(CultureInfo.InvariantCulture) + "ms";
    }
}
