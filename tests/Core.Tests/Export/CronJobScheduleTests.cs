using Tend.Export;

namespace Tend.Tests.Export;

/// <summary>Which Tend schedules a Kubernetes CronJob can express with the same meaning (robfig/cron's standard syntax).</summary>
[Trait("Category", "Unit")]
public class CronJobScheduleTests
{
    [Theory]
    [InlineData("*/5 * * * *", "*/5 * * * *")]
    [InlineData("  0 3   * * 1-5 ", "0 3 * * 1-5")]
    [InlineData("0 3 * JUL WED", "0 3 * JUL WED")]
    [InlineData("@daily", "@daily")]
    [InlineData("@HOURLY", "@hourly")]
    [InlineData("@every_minute", "* * * * *")]
    [InlineData("0 0 ? * SUN", "0 0 ? * SUN")]
    public void Five_fields_and_the_shared_macros_are_kept(string tend, string cronJob) => Assert.Equal(cronJob, CronJobSchedule.Of(tend));

    [Theory]
    [InlineData("*/2 * * * * *")] // seconds
    [InlineData("@every_second")]
    [InlineData("0 0 L * *")] // last day of the month
    [InlineData("0 0 15W * *")] // nearest weekday
    [InlineData("0 0 * * MON#2")] // second Monday
    [InlineData("0 0 * * 5L")] // last Friday
    [InlineData("0 0 * * 7")] // Sunday as 7: robfig's day of week is 0-6
    [InlineData("0 22-2 * * *")] // a range that wraps
    public void What_the_CronJob_controller_reads_otherwise_or_not_at_all_stays_Tends(string tend) => Assert.Null(CronJobSchedule.Of(tend));
}
