using System;

namespace Tend;

/// <summary>
/// The syntax of a cron expression as Cronos accepts it, checked without Cronos: the source generator (which cannot
/// load Cronos inside the compiler) shares this file, so a declared <c>Schedule</c> is checked at compile time by the
/// same rules that <see cref="Schedule.Parse"/> applies first at run time. A test cross-checks it against Cronos over
/// many expressions; Cronos stays the authority on what an expression means.
/// <para>
/// Five fields (minute hour day-of-month month day-of-week) or six (seconds first); in each field <c>*</c> or
/// <c>?</c>, values, ranges (<c>1-5</c>, wrapping: <c>22-2</c>), lists (<c>1,5,9</c>) and steps (<c>*/15</c>,
/// <c>5/15</c>, <c>1-30/2</c>); month and weekday names (<c>JAN</c>, <c>MON</c>); <c>L</c>, <c>L-3</c>, <c>LW</c> and
/// <c>15W</c> in the day of month; <c>5L</c> and <c>MON#2</c> in the day of week; or one of the macros
/// <c>@yearly @annually @monthly @weekly @daily @midnight @hourly @every_minute @every_second</c>. Cronos's
/// <c>H</c> (a hashed, seeded value) is not offered: Tend gives no seed.
/// </para>
/// </summary>
internal static class CronSyntax
{
    /// <summary>What an expression may be, for messages.</summary>
    public const string Expected =
        "five cron fields (minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"), six with seconds first (\"*/2 * * * * *\"), " +
            "or a macro such as @hourly, @daily or @weekly";

    private static readonly string[] Macros = ["yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly", "every_minute",
        "every_second"];
    private static readonly string[] MonthNames = ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private enum Kind { Plain, DayOfMonth, DayOfWeek }

    private sealed class Field(string name, int first, int last, string[]? names, Kind kind)
    {
        public string Name { get; } = name;
        public int First { get; } = first;
        public int Last { get; } = last;
        public string[]? Names { get; } = names;
        public Kind Kind { get; } = kind;
    }

    private static readonly Field Seconds = new("seconds", 0, 59, null, Kind.Plain);
    private static readonly Field Minutes = new("minutes", 0, 59, null, Kind.Plain);
    private static readonly Field Hours = new("hours", 0, 23, null, Kind.Plain);
    private static readonly Field DaysOfMonth = new("day-of-month", 1, 31, null, Kind.DayOfMonth);
    private static readonly Field Months = new("month", 1, 12, MonthNames, Kind.Plain);
    private static readonly Field DaysOfWeek = new("day-of-week", 0, 7, DayNames, Kind.DayOfWeek);

    /// <summary>Whether the expression has six fields, the first being seconds (Cronos's <c>CronFormat.IncludeSeconds</c>).</summary>
    public static bool HasSeconds(string expression) => !IsMacro(expression) && Words(expression).Length == 6;

    /// <summary>Null when <paramref name="expression"/> is valid; otherwise what is wrong with it, for a message.</summary>
    public static string? Problem(string? expression)
    {
        if (expression is null || Trim(expression).Length == 0) return "it is empty";
        if (IsMacro(expression))
        {
            var macro = Trim(expression).Substring(1);
            foreach (var m in Macros)
                if (AsciiEqualsIgnoreCase(macro, m)) return null;
            return $"'@{macro}' is not a macro: expected one of @{string.Join(", @", Macros)}";
        }
        var words = Words(expression);
        Field[] fields;
        if (words.Length == 5) fields = [Minutes, Hours, DaysOfMonth, Months, DaysOfWeek];
        else if (words.Length == 6) fields = [Seconds, Minutes, Hours, DaysOfMonth, Months, DaysOfWeek];
        else
            return $"it has {words.Length} field{(words.Length == 1 ? "" : "s")}, not 5 (minute hour day-of-month month day-of-week) or " +
                $"6 (seconds first)";
        for (var i = 0; i < fields.Length; i++)
            if (CheckField(fields[i], words[i]) is { } why) return $"the {fields[i].Name} field '{words[i]}' {why}";
        return null;
    }

    private static bool IsMacro(string expression)
    {
        var t = Trim(expression);
        return t.Length > 0 && t[0] == '@'; // no StartsWith(char) in netstandard2.0, where the generator compiles this file
    }

    // Cronos separates fields by spaces and tabs only; anything else is part of a field (and then wrong).
    private static string Trim(string s) => s.Trim(' ', '\t');

    private static string[] Words(string s) => s.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static string? CheckField(Field f, string text)
    {
        var p = 0;
        string? why;
        if (At(text, p) is '*' or '?')
        {
            p++;
            if (At(text, p) == '/' && (why = Number(text, ref p, 1, f.Last, "a step")) is not null) return why;
            return End(text, p);
        }
        if (At(text, p) == 'H') return "uses H (a hashed value), which Tend does not support: give the value itself";
        if (f.Kind == Kind.DayOfMonth && Upper(At(text, p)) == 'L')
        {
            p++;
            if (At(text, p) == '-')
            {
                p++;
                if ((why = Digits(text, ref p, 0, f.Last - 1, "a day offset after L-")) is not null) return why;
            }
            if (Upper(At(text, p)) == 'W') p++;
            return End(text, p);
        }
        if ((why = Value(f, text, ref p)) is not null) return why;
        if (f.Kind == Kind.DayOfMonth && Upper(At(text, p)) == 'W') return End(text, p + 1);
        if (f.Kind == Kind.DayOfWeek && Upper(At(text, p)) == 'L') return End(text, p + 1);
        if (f.Kind == Kind.DayOfWeek && At(text, p) == '#')
        {
            p++;
            return Digits(text, ref p, 1, 5, "the week of the month after #") ?? End(text, p);
        }
        while (true)
        {
            // The rest of a range or step, then the next item of a list.
            if (At(text, p) == '-')
            {
                p++;
                if ((why = Value(f, text, ref p)) is not null) return why;
                if (At(text, p) == '/' && (why = Number(text, ref p, 1, f.Last, "a step")) is not null) return why;
            }
            else if (At(text, p) == '/' && (why = Number(text, ref p, 1, f.Last, "a step")) is not null) return why;
            if (At(text, p) != ',') return End(text, p);
            p++;
            if ((why = Value(f, text, ref p)) is not null) return why;
        }
    }

    /// <summary>After a '/': a step.</summary>
    private static string? Number(string text, ref int p, int low, int high, string what)
    {
        p++;
        return Digits(text, ref p, low, high, what);
    }

    /// <summary>One or two digits, between <paramref name="low"/> and <paramref name="high"/>.</summary>
    private static string? Digits(string text, ref int p, int low, int high, string what)
    {
        var start = p;
        var n = 0;
        while (p < text.Length && IsDigit(text[p]) && p - start < 3) n = n * 10 + (text[p++] - '0');
        if (p == start) return $"needs {what} at '{Rest(text, start)}': expected a number from {low} to {high}";
        if (p - start > 2 || n < low
            || n > high)
            return $"has {what} {text.Substring(start, p - start)}{(p - start > 2 ? "…" : "")}: expected a number from {low} to {high}";
        return null;
    }

    /// <summary>A value of the field: a number in its range, or (months and weekdays) a three-letter name.</summary>
    private static string? Value(Field f, string text, ref int p)
    {
        if (IsDigit(At(text, p))) return Digits(text, ref p, f.First, f.Last, "the value");
        var names = f.Names is null ? "" : $", or a name such as {f.Names[1]}";
        if (f.Names is not null && p + 3 <= text.Length && IsLetter(text[p]) && IsLetter(text[p + 1]) && IsLetter(text[p + 2]))
        {
            var word = text.Substring(p, 3);
            foreach (var name in f.Names)
                if (name.Length > 0 && AsciiEqualsIgnoreCase(word, name))
                {
                    p += 3;
                    return null;
                }
            return $"has '{word}', which is not a name of a {(f.Kind == Kind.DayOfWeek ? "day of the week" : "month")}: " +
                $"expected {string.Join(", ", f.Names).TrimStart(',', ' ')}";
        }
        return $"needs a value at '{Rest(text, p)}': expected a number from {f.First} to {f.Last}{names}";
    }

    private static string? End(string text, int p) =>
        p >= text.Length ? null : $"has an unexpected '{text[p]}' at '{Rest(text, p)}'";

    private static string Rest(string text, int p) => p >= text.Length ? "" : text.Substring(p);

    private static char At(string text, int p) => p < text.Length ? text[p] : '\0';

    private static char Upper(char c) => c is >= 'a' and <= 'z' ? (char)(c - 32) : c;

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsLetter(char c) => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z';

    private static bool AsciiEqualsIgnoreCase(string a, string b)
    {
        if (a.Length != b.Length) return false;
        for (var i = 0; i < a.Length; i++)
            if (Upper(a[i]) != Upper(b[i])) return false;
        return true;
    }
}
