namespace Tend.Export;

/// <summary>
/// A Tend schedule as a Kubernetes CronJob's <c>schedule</c>, when the CronJob controller can read it: five fields
/// (minute first) in the syntax of robfig/cron's standard parser (what the controller uses), or its macros
/// <c>@yearly @annually @monthly @weekly @daily @midnight @hourly</c>. Cronos reads more: seconds, <c>L</c>,
/// <c>W</c> and <c>#</c>, Sunday as 7 and ranges that wrap (<c>22-2</c>); those stay Tend's to schedule.
/// </summary>
internal static class CronJobSchedule
{
    private static readonly string[] Macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

    /// <summary>The expression as a CronJob reads it with the same meaning, or null when it cannot.</summary>
    public static string? Of(string expression)
    {
        var text = expression.Trim();
        if (text.StartsWith('@'))
        {
            var macro = text.ToLowerInvariant();
            if (Macros.Contains(macro)) return macro;
            return macro == "@every_minute" ? "* * * * *" : null;
        }
        var fields = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5) return null;
        var dayOfMonth = fields[2].ToUpperInvariant();
        var dayOfWeek = fields[4].ToUpperInvariant();
        if (dayOfMonth.Contains('L') || dayOfMonth.Contains('W')) return null;
        if (dayOfWeek.Contains('#') || dayOfWeek.Contains('L')) return null;
        if (dayOfWeek.Split(',', '-', '/').Any(v => v == "7")) return null;
        foreach (var field in fields)
            foreach (var part in field.Split(','))
            {
                var range = part.Split('/')[0].Split('-');
                if (range.Length == 2 && int.TryParse(range[0], out var from) && int.TryParse(range[1],
                    out var to) && from > to) return null;
            }
        return string.Join(' ', fields);
    }
}
