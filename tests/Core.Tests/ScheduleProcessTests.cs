using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tend.Logging;

namespace Tend.Tests;

/// <summary>Scheduled tasks through the real binary, Tend as PID 1 of a fresh PID namespace.</summary>
public class ScheduleProcessTests
{
    private const int SIGTERM = 15;

    private static DateTimeOffset Time(JsonElement e) =>
        DateTimeOffset.ParseExact(TendRun.Str(e, "time")!, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal);

    [Fact]
    public void Runs_every_two_seconds_prefixed_with_the_environment_as_tend_got_it()
    {
        using var t = TendRun.Start(["--log-prefix", "--schedule", "sh=*/2 * * * * *", "sh -c 'printf \"%s\\n\" \"tick $TEND_TEST_MARK\"'"],
            setup: "export TEND_TEST_MARK='a  b é'");
        var scheduled = t.Next("sh", EventNames.Scheduled);
        Assert.Contains("next run at", TendRun.Str(scheduled, "message"));
        var first = t.Next("sh", EventNames.Started);
        Assert.Equal(0, TendRun.Int(t.Next("sh", EventNames.Completed), "exitCode"));
        var second = t.Next("sh", EventNames.Started, 5);
        t.Next("sh", EventNames.Completed);
        var third = t.Next("sh", EventNames.Started, 5);
        foreach (var (a, b) in new[] { (first, second), (second, third) })
        {
            var gap = (Time(b) - Time(a)).TotalMilliseconds;
            Assert.InRange(gap, 1_500, 2_600);
        }
        t.WaitForStdout("sh | tick a  b é\n");
        t.Signal(SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.DoesNotContain(t.Events, e => TendRun.Str(e, "event") == EventNames.Skipped);
    }

    [Fact]
    public void A_run_that_outlasts_the_interval_is_never_overlapped_the_due_time_is_skipped()
    {
        using var t = TendRun.Start("--schedule", "sh=*/2 * * * * *", "sh -c 'sleep 3'");
        t.Next("sh", EventNames.Started);
        var skipped = t.Next("sh", EventNames.Skipped, 5);
        Assert.Contains("still runs", TendRun.Str(skipped, "message"));
        t.Next("sh", EventNames.Completed, 5);
        t.Next("sh", EventNames.Started, 5);
        t.Next("sh", EventNames.Skipped, 5);
        t.Next("sh", EventNames.Completed, 5);
        Assert.True(t.All("sleep").Count <= 1);
        t.Signal(SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        // Every run ended before the next began.
        var runs = t.Events.Where(e => TendRun.Str(e, "service") == "sh" && TendRun.Str(e,
            "event") is EventNames.Started or EventNames.Completed)
            .Select(e => TendRun.Str(e, "event")).ToList();
        for (var k = 1; k < runs.Count; k++) Assert.NotEqual(runs[k - 1], runs[k]);
    }

    [Fact]
    public void Tend_run_starts_one_run_now_status_shows_it_and_stop_start_pause_and_resume()
    {
        using var t = TendRun.Start("--schedule", "sh=0 0 1 1 *", "sh -c 'echo ran; exit 3'");
        t.Next("sh", EventNames.Scheduled);
        var run = t.Ctl("run", "sh");
        Assert.True(run.Code == 0, run.Err);
        Assert.StartsWith("sh: run started", run.Out);
        t.Next("sh", EventNames.RunRequested);
        t.Next("sh", EventNames.Started);
        var completed = t.Next("sh", EventNames.Completed);
        Assert.Equal(3, TendRun.Int(completed, "exitCode"));
        Assert.Equal("error", TendRun.Str(completed, "level"));

        var status = t.Ctl("status", "--json");
        Assert.Equal(0, status.Code);
        var sh = JsonDocument.Parse(status.Out).RootElement.GetProperty("services")[0];
        Assert.Equal("scheduled", sh.GetProperty("state").GetString());
        Assert.Equal(3, sh.GetProperty("lastExitCode").GetInt32());
        Assert.Equal($"{DateTime.UtcNow.Year + 1}-01-01 00:00:00 +00:00", sh.GetProperty("nextDue").GetString());
        Assert.True(sh.TryGetProperty("lastRun", out _));
        Assert.Contains("schedule 0 0 1 1 *, 1 run, last run ", t.Ctl("status").Out);
        Assert.Equal((0, 1), (sh.GetProperty("restarts").GetInt32(), sh.GetProperty("runs").GetInt32())); // 'tend run' is no restart

        Assert.Equal(0, t.Ctl("stop", "sh").Code);
        Assert.Contains("schedule paused", TendRun.Str(t.Next("sh", EventNames.Stopped), "message"));
        var refused = t.Ctl("run", "sh");
        Assert.Equal(1, refused.Code);
        Assert.Contains("is paused: resume it first (tend start sh)", refused.Err);
        var start = t.Ctl("start", "sh");
        Assert.Equal(0, start.Code);
        Assert.StartsWith("sh: scheduled (next run at ", start.Out);
        Assert.Equal(0, t.Ctl("health").Code);
        t.Signal(SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Shutdown_gives_a_running_task_its_stop_signal()
    {
        using var t = TendRun.Start("--schedule", "sleep=* * * * * *", "sleep 100");
        t.Next("sleep", EventNames.Started);
        t.Signal(SIGTERM);
        t.Next("sleep", EventNames.Stopping);
        Assert.Equal(0, t.WaitForExit());
    }

    [Theory]
    [InlineData("sh=*/2 * * *", "option '--schedule' for 'sh': '*/2 * * *' is not a cron expression: it has 4 fields")]
    [InlineData("sh=0 3 * * FUNDAY",
        "option '--schedule' for 'sh': '0 3 * * FUNDAY' is not a cron expression: the day-of-week field 'FUNDAY'")]
    [InlineData("web=0 3 * * *", "option '--schedule' names 'web', which is not a service here; the services are: sh")]
    [InlineData("0 3 * * *", "option '--schedule' got '0 3 * * *': expected NAME=CRON")]
    public void A_bad_schedule_on_the_command_line_is_exit_2_naming_it(string value, string message)
    {
        var (code, err) = RunTend([], "--schedule", value, "sh -c true");
        Assert.Equal(2, code);
        Assert.StartsWith($"tend: error: {message}", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_TZ_that_names_no_zone_is_exit_2_when_a_task_is_scheduled()
    {
        var (code, err) = RunTend([("TZ", "Mars/Olympus")], "--schedule", "sh=0 3 * * *", "sh -c true");
        Assert.Equal(2, code);
        Assert.StartsWith("tend: error: TZ is 'Mars/Olympus', which names no time zone here", err);
    }

    private static (int Code, string Err) RunTend((string Name, string Value)[] env, params string[] args)
    {
        var (code, _, err) = TendRun.Refused(args, env);
        return (code, err);
    }
}
