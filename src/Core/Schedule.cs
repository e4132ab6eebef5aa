using Cronos;

namespace Tend;

/// <summary>
/// When a scheduled task runs: a cron expression (five fields, six with seconds first, or a macro such as
/// <c>@daily</c>: see <see cref="CronSyntax"/>) in a time zone. Parsed and evaluated by Cronos, daylight-saving
/// transitions included as Cronos defines them (a time skipped by a spring-forward runs at the jump; a time repeated
/// by a fall-back runs once). Pure: the next due time is a function of the wall-clock time given.
/// </summary>
/// <example><code>
/// [Service("backup", Schedule = "0 3 * * *")]   // every day at 03:00 in $TZ (UTC when unset)
/// </code></example>
public sealed class Schedule : IEquatable<Schedule>
{
    private readonly CronExpression _cron;

    private Schedule(string expression, CronExpression cron, TimeZoneInfo zone)
    {
        Expression = expression;
        _cron = cron;
        Zone = zone;
    }

    /// <summary>The accepted forms, for error messages.</summary>
    public const string Expected = CronSyntax.Expected;

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>The time zone the expression is read in (UTC unless <see cref="In"/> gave another).</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <paramref name="expression"/>, read in UTC until <see cref="In"/> gives a zone.</summary>
    /// <exception cref="FormatException">Not a cron expression; the message says what is wrong and what is expected.</exception>
    public static Schedule Parse(string expression)
    {
        if (CronSyntax.Problem(expression) is { } problem)
            throw new FormatException($"'{expression}' is not a cron expression: {problem}; expected {Expected}");
        try
        {
            var format = CronSyntax.HasSeconds(expression) ? CronFormat.IncludeSeconds : CronFormat.Standard;
            return new Schedule(expression, CronExpression.Parse(expression, format), TimeZoneInfo.Utc);
        }
        catch (CronFormatException e)
        {
            throw new FormatException($"'{expression}' is not a cron expression: {Logging.PlainMessage.Of(e)}; expected {Expected}");
        }
    }

    /// <summary>The same expression read in <paramref name="zone"/>.</summary>
    public Schedule In(TimeZoneInfo zone) => new(Expression, _cron, zone);

    /// <summary>The first due time strictly after <paramref name="wall"/>, or null when the expression never comes due again (February
    /// 30th).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset wall) => _cron.GetNextOccurrence(wall, Zone, inclusive: false);

    /// <summary>
    /// The time zone scheduled tasks are read in: the one <c>TZ</c> names (<c>Europe/Paris</c>, or <c>:Europe/Paris</c>),
    /// looked up in the system's zone database (tzdata in the image); UTC when <c>TZ</c> is unset or empty.
    /// </summary>
    /// <exception cref="ArgumentException">TZ names no zone the system knows.</exception>
    public static TimeZoneInfo ZoneFromEnvironment(string? tz)
    {
        if (string.IsNullOrEmpty(tz)) return TimeZoneInfo.Utc;
        var id = tz.StartsWith(':') ? tz[1..] : tz;
        if (id is "UTC" or "UTC0" or "Etc/UTC" or "GMT" or "Z") return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"TZ is '{tz}', which names no time zone here: scheduled tasks need a zone of the tz database " +
                $"such as Europe/Paris (install tzdata in the image), or leave TZ unset for UTC");
        }
    }

    /// <summary>The expression, with its zone when that is not UTC: <c>0 3 * * * (Europe/Paris)</c>.</summary>
    public override string ToString() => Zone == TimeZoneInfo.Utc ? Expression : $"{Expression} ({Zone.Id})";

    /// <inheritdoc/>
    public bool Equals(Schedule? other) => other is not null && other.Expression == Expression && other.Zone.Id == Zone.Id;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Schedule);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Expression, Zone.Id);
}
