namespace Tend.Supervision;

/// <summary>
/// The rules of scheduled tasks, as pure functions of (schedule, runtime, monotonic now, wall-clock now) used by the
/// <see cref="Reconciler"/>:
/// <list type="bullet">
/// <item>The next due time is computed from the wall clock, always strictly after it, so runs missed while Tend was not
/// running (or while the clock jumped forward) are not replayed. The supervisor waits for it on the monotonic clock and
/// plans again on waking: if the wall clock was set back meanwhile, the task is not due yet and it waits again; if it
/// jumped forward (an NTP step, a suspend), the run that was due runs once, late, and the next due time is taken from
/// the new time. A run is never doubled: the next due time moves on when a run starts.</item>
/// <item>A run still going at a due time: that run is skipped (<c>skipped</c>), never started beside it.</item>
/// <item>A failed run is not restarted: the task waits for its next due time. A critical task whose runs fail more
/// than its start limit in a row fails for good, which ends the container like any critical failure; a task that is
/// not critical never does.</item>
/// <item><c>tend stop</c> pauses the schedule (a run in progress gets its stop signal), <c>tend start</c> resumes it
/// from the current time, <c>tend run</c> starts one run now without moving the due time.</item>
/// </list>
/// </summary>
internal static class ScheduleRules
{
    /// <summary>
    /// The step for scheduled task <paramref name="r"/> this round, or null when the reconciler's general rules apply
    /// (a task waiting for its dependencies, a run in progress: its stop, its cleanup).
    /// </summary>
    public static ScheduleStep? Plan(Schedule schedule, ServiceRuntime r, bool up, bool dependenciesMet, long now, DateTimeOffset wall)
    {
        var s = r.Schedule;
        switch (r.Phase)
        {
            case ServicePhase.Waiting or ServicePhase.Stopped when up && dependenciesMet:
                {
                    // The schedule becomes active (or resumes): from now on, never for a due time already past.
                    var active = r with { Phase = ServicePhase.Scheduled, Reason = null, QuickFailures = [],
                        Schedule = s with { NextDueAt = schedule.NextAfter(wall), FailedInARow = 0 } };
                    return new ScheduleStep(active, false, Wake(active.Schedule, now, wall), true);
                }
            case ServicePhase.Scheduled when !up:
                return new ScheduleStep(r with { Phase = ServicePhase.Stopped, Schedule = s with { RunRequested = false } }, false, null,
                    true);
            case ServicePhase.Scheduled:
                {
                    var due = s.NextDueAt is { } d && wall >= d;
                    if (!due && !s.RunRequested) return new ScheduleStep(r, false, Wake(s, now, wall), true);
                    if (!dependenciesMet)
                    {
                        var skipped = due ? Skip(schedule, s, wall, "a service it depends on is not up") : s;
                        return new ScheduleStep(r with { Schedule = skipped with { RunRequested = false } }, false, Wake(skipped, now,
                            wall), true);
                    }
                    var next = s with
                    {
                        NextDueAt = due ? schedule.NextAfter(wall) : s.NextDueAt,
                        LastRunAt = TimeZoneInfo.ConvertTime(wall, schedule.Zone),
                        LastRunRequested = !due,
                        RunRequested = false,
                    };
                    return new ScheduleStep(r with { Schedule = next }, true, Wake(next, now, wall), true);
                }
            case ServicePhase.Running or ServicePhase.Cleaning or ServicePhase.Stopping when up:
                {
                    // A run in progress: a due time that comes meanwhile is skipped, never run beside it.
                    if (s.NextDueAt is { } d && wall >= d)
                    {
                        var skipped = Skip(schedule, s, wall, $"the run started at {Format(s.LastRunAt ?? d)} still runs");
                        return new ScheduleStep(r with { Schedule = skipped }, false, Wake(skipped, now, wall), false);
                    }
                    return new ScheduleStep(r, false, Wake(s, now, wall), false);
                }
            default:
                return null;
        }
    }

    /// <summary>A run ended with <paramref name="exit"/>: back to waiting for the next due time, or — a critical task failing more than its
    /// start limit in a row — failed.</summary>
    public static ServiceRuntime AfterRun(ServiceSpec spec, ServiceRuntime r, ExitStatus exit)
    {
        var failed = exit.Success ? 0 : r.Schedule.FailedInARow + 1;
        var next = r with { Schedule = r.Schedule with { FailedInARow = failed }, QuickFailures = [] };
        if (spec.Critical && failed > spec.StartLimit)
            return next with
            {
                Phase = ServicePhase.Failed,
                Reason =
                    $"its last {failed} runs failed (a critical scheduled task fails for good after more than {spec.StartLimit} in a " +
                        $"row; last: {exit})",
            };
        return next with { Phase = ServicePhase.Scheduled };
    }

    /// <summary><c>tend run</c>: one run as soon as the task is between runs.</summary>
    public static ServiceRuntime OnRunRequested(ServiceRuntime r) => r with { Schedule = r.Schedule with { RunRequested = true } };

    /// <summary>A due time, as events and <c>tend status</c> show it: <c>2026-12-01 03:00:00 +01:00</c>.</summary>
    public static string Format(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss zzz",
        System.Globalization.CultureInfo.InvariantCulture);

    private static ScheduleState Skip(Schedule schedule, ScheduleState s, DateTimeOffset wall, string why) =>
        s with { NextDueAt = schedule.NextAfter(wall), Skipped = s.Skipped + 1, LastSkip = (s.NextDueAt!.Value, why) };

    /// <summary>The monotonic time (ms) at which the next due time comes, at least 1 ms from now; null when none comes.</summary>
    private static long? Wake(ScheduleState s, long now, DateTimeOffset wall) =>
        s.NextDueAt is { } d ? now + Math.Max(1, (long)Math.Ceiling((d - wall).TotalMilliseconds)) : null;
}
