using System.Globalization;
using Cronos;

namespace Tend.Tests;

/// <summary>
/// CronSyntax (the check the generator runs at compile time, without Cronos) accepts exactly what Cronos accepts:
/// cross-checked over hand-picked expressions and tens of thousands of generated ones.
/// </summary>
[Trait("Category", "Unit")]
public class CronSyntaxTests
{
    private static bool CronosAccepts(string e) =>
        CronExpression.TryParse(e, CronSyntax.HasSeconds(e) ? CronFormat.IncludeSeconds : CronFormat.Standard, out _);

    private static void Agree(string e)
    {
        var problem = CronSyntax.Problem(e);
        var cronos = CronosAccepts(e);
        Assert.True(cronos == (problem is null),
            $"'{e}': Cronos {(cronos ? "accepts" : "refuses")} it, CronSyntax {(problem is null ? "accepts it" : "says: " + problem)}");
    }

    [Theory]
    [InlineData("0 3 * * *")]
    [InlineData("*/2 * * * * *")]
    [InlineData("  0  3\t* * *  ")]
    [InlineData("@hourly")]
    [InlineData("@Daily")]
    [InlineData(" @every_second ")]
    [InlineData("@midnight")]
    [InlineData("@annually")]
    [InlineData("0 9-17/2 * * MON-FRI")]
    [InlineData("0 22-2 * * *")]
    [InlineData("5/15 * * * *")]
    [InlineData("0 0 L * *")]
    [InlineData("0 0 L-3 * *")]
    [InlineData("0 0 LW * *")]
    [InlineData("0 0 15W * *")]
    [InlineData("0 0 ? * 5L")]
    [InlineData("0 0 * * MON#2")]
    [InlineData("0 0 1 jan,Jul *")]
    [InlineData("0 0 * * 7")]
    [InlineData("00 05 * * *")]
    [InlineData("0 0 1-31/31 * *")]
    [InlineData("? ? ? ? ?")]
    public void Valid_expressions_are_accepted_by_both(string e)
    {
        Assert.Null(CronSyntax.Problem(e));
        Assert.True(CronosAccepts(e), e);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("* * *", "3 fields")]
    [InlineData("* * * * * * *", "7 fields")]
    [InlineData("60 * * * *", "minutes field '60'")]
    [InlineData("* 24 * * *", "hours field '24'")]
    [InlineData("* * 0 * *", "day-of-month field '0'")]
    [InlineData("* * * 13 *", "month field '13'")]
    [InlineData("* * * * 8", "day-of-week field '8'")]
    [InlineData("*/0 * * * *", "step 0")]
    [InlineData("*/60 * * * *", "step 60")]
    [InlineData("007 * * * *", "007")]
    [InlineData("* * * FOO *", "'FOO', which is not a name of a month")]
    [InlineData("* * * * MON#6", "week of the month")]
    [InlineData("*,5 * * * *", "unexpected ','")]
    [InlineData("1- * * * *", "needs a value")]
    [InlineData("H * * * *", "H (a hashed value)")]
    [InlineData("@often", "not a macro")]
    [InlineData("@daily 3", "not a macro")]
    [InlineData("0 3 * * *\n", "unexpected")]
    public void Invalid_expressions_are_refused_by_both_with_a_message_that_says_why(string e, string why)
    {
        Assert.Contains(why, CronSyntax.Problem(e));
        Assert.False(CronosAccepts(e), e);
    }

    [Fact]
    public void Agrees_with_Cronos_on_generated_expressions()
    {
        var rng = new Random(18);
        string[] atoms = ["*", "?", "L", "W", "#", "H", "/", "-", ",", "MON", "jan", "Fri", "DEC", "SUN", "x", "LW", "0", "1", "5", "7",
            "9", "12", "13", "23", "24", "28", "31", "32", "59", "60", "99", "00", "007"];
        string Number() => rng.Next(4) switch { 0 => rng.Next(0, 100).ToString(), 1 => rng.Next(0, 10).ToString(), 2 => rng.Next(0,
            61).ToString(), _ => rng.Next(0, 2) == 0 ? "0" + rng.Next(0, 10) : rng.Next(0, 1000).ToString() };
        string Item() => rng.Next(9) switch
        {
            0 => "*",
            1 => "*/" + Number(),
            2 => Number(),
            3 => Number() + "-" + Number(),
            4 => Number() + "-" + Number() + "/" + Number(),
            5 => Number() + "/" + Number(),
            6 => atoms[rng.Next(atoms.Length)],
            7 => atoms[rng.Next(atoms.Length)] + atoms[rng.Next(atoms.Length)],
            _ => rng.Next(3) switch { 0 => "L-" + Number(), 1 => Number() + (rng.Next(2) == 0 ? "W" : "L"),
                _ => Number() + "#" + Number() },
        };
        string Field() => string.Join(",", Enumerable.Range(0, rng.Next(1, 4)).Select(_ => Item()));
        var checkedCount = 0;
        var valid = 0;
        for (var k = 0; k < 40_000; k++)
        {
            var fields = rng.Next(10) switch { 0 => 4, 1 => 7, < 6 => 5, _ => 6 };
            var e = string.Join(rng.Next(5) == 0 ? "\t " : " ", Enumerable.Range(0, fields).Select(_ => Field()));
            Agree(e);
            checkedCount++;
            if (CronSyntax.Problem(e) is null) valid++;
        }
        // Mostly valid expressions, field by field, each with a small chance of one thing wrong: the edges.
        (int Lo, int Hi, string[] Names, char Kind)[] shapes =
        [
            (0, 59, [], 'p'), (0, 59, [], 'p'), (0, 23, [], 'p'), (1, 31, [], 'd'),
            (1, 12, ["JAN", "feb", "Mar", "DEC"], 'p'), (0, 7, ["SUN", "mon", "Fri", "SAT"], 'w'),
        ];
        string Near(int lo, int hi) => (rng.Next(20) switch { 0 => lo - 1, 1 => hi + 1, 2 => lo, 3 => hi, _ => rng.Next(Math.Max(lo, 0),
            hi + 1) }).ToString(rng.Next(8) == 0 ? "00" : "0", CultureInfo.InvariantCulture);
        string ValidItem((int Lo, int Hi, string[] Names, char Kind) f)
        {
            string V() => f.Names.Length > 0 && rng.Next(3) == 0 ? f.Names[rng.Next(f.Names.Length)] : Near(f.Lo, f.Hi);
            return rng.Next(f.Kind == 'p' ? 7 : 9) switch
            {
                0 => rng.Next(2) == 0 ? "*" : "?",
                1 => "*/" + Near(1, f.Hi),
                2 => V(),
                3 => V() + "-" + V(),
                4 => V() + "-" + V() + "/" + Near(1, f.Hi),
                5 => V() + "/" + Near(1, f.Hi),
                6 => string.Join(",", Enumerable.Range(0, rng.Next(2, 4)).Select(_ => rng.Next(2) == 0 ? V() : V() + "-" + V())),
                _ => f.Kind == 'd'
                    ? rng.Next(4) switch { 0 => "L", 1 => "L-" + Near(0, 30), 2 => rng.Next(2) == 0 ? "LW" : "lw", _ => Near(1, 31) + "W" }
                    : rng.Next(2) == 0 ? V() + "L" : V() + "#" + Near(1, 5),
            };
        }
        for (var k = 0; k < 40_000; k++)
        {
            var seconds = rng.Next(2) == 0;
            var e = string.Join(" ",
                shapes.Skip(seconds ? 0 : 1).Select(f => rng.Next(40) == 0 ? atoms[rng.Next(atoms.Length)] : ValidItem(f)));
            Agree(e);
            checkedCount++;
            if (CronSyntax.Problem(e) is null) valid++;
        }
        // Random characters too, where most are refused for some reason.
        const string soup = "0123456789*?/-,#LWHlwMONmonJANjan @\t";
        for (var k = 0; k < 20_000; k++)
        {
            var e = new string([.. Enumerable.Range(0, rng.Next(1, 30)).Select(_ => soup[rng.Next(soup.Length)])]);
            Agree(e);
            checkedCount++;
        }
        foreach (var m in new[] { "yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly", "every_minute", "every_second",
            "every_hour", "weekl", "dailyy", "EVERY_MINUTE", "every-minute" })
            Agree("@" + m);
        Assert.True(valid > 10_000, $"only {valid} of {checkedCount} generated expressions were valid: the generator explores too little");
    }

    [Fact]
    public void The_schedule_reads_its_expression_in_the_zone_TZ_names()
    {
        var paris = Schedule.ZoneFromEnvironment(":Europe/Paris");
        var s = Schedule.Parse("0 3 * * *").In(paris);
        // 2026-03-29 is the spring-forward night in Paris: 03:00 CEST is 01:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)), s.NextAfter(new DateTimeOffset(2026, 3, 28, 12, 0, 0,
            TimeSpan.Zero)));
        Assert.Equal(TimeZoneInfo.Utc, Schedule.ZoneFromEnvironment(null));
        Assert.Equal(TimeZoneInfo.Utc, Schedule.ZoneFromEnvironment(""));
        var e = Assert.Throws<ArgumentException>(() => Schedule.ZoneFromEnvironment("Mars/Olympus"));
        Assert.Contains("TZ is 'Mars/Olympus'", e.Message);
    }

    [Fact]
    public void Parse_names_the_expression_and_what_is_wrong()
    {
        var e = Assert.Throws<FormatException>(() => Schedule.Parse("* * 32 * *"));
        Assert.Contains("'* * 32 * *' is not a cron expression: the day-of-month field '32'", e.Message);
        Assert.Contains("expected five cron fields", e.Message);
    }
}
