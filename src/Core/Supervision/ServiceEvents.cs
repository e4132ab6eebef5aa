using System.Collections.Immutable;
using Tend.Logging;

namespace Tend.Supervision;

/// <summary>
/// The events of what a plan or a check changed (the state changes of runs are <see cref="RunTracker"/>'s, through
/// <see cref="Transitions"/>): checks that passed or failed, services stopped before they started, schedules.
/// </summary>
internal static class ServiceEvents
{
    /// <summary>
    /// Records how the checks ended, for the runs still current, and logs it. True when a service became ready (its
    /// dependents may start) or unhealthy.
    /// </summary>
    public static bool ApplyChecks(ServiceTable table, EventLog log, IEnumerable<ProbeResult> results,
        ref ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        var any = false;
        foreach (var result in results)
        {
            var i = result.Service;
            var r = runtimes[i];
            if (r.Phase != ServicePhase.Running || r.Starts != result.Starts) continue;
            var spec = table.Services[i];
            var outcome = new CheckOutcome(result.Passed, result.Seconds);
            if (result.Purpose == ProbePurpose.Ready)
            {
                runtimes = runtimes.SetItem(i, r = r with { LastReadyCheck = outcome });
                if (!result.Passed || r.Ready) continue;
                runtimes = runtimes.SetItem(i, r = Reconciler.OnReady(r));
                any = true;
                log.Service(spec.Name, EventNames.Ready,
                    $"ready ({spec.Ready}) after {Duration.Format(TimeSpan.FromMilliseconds(Math.Max(0, now - r.StartedAt)))}",
                    r.Process?.Pid, restarts: r.Restarts);
                continue;
            }
            var next = Reconciler.OnAlive(spec, r, result.Passed, result.Reason) with { LastAliveCheck = outcome };
            runtimes = runtimes.SetItem(i, next);
            if (next.Unhealthy)
            {
                any = true;
                log.Service(spec.Name, EventNames.Unhealthy,
                    $"unhealthy: its liveness check ({spec.Alive}) failed {next.AliveFailures} " +
                        $"time{(next.AliveFailures == 1 ? "" : "s")} in a row " +
                        $"(last: {next.AliveReason}); restarting it",
                    r.Process?.Pid, restarts: r.Restarts, reason: next.AliveReason, error: true);
            }
            else if (!result.Passed)
                log.Service(spec.Name, EventNames.CheckFailed,
                    $"liveness check ({spec.Alive}) failed ({next.AliveFailures} of {spec.Alive!.Failures}): {result.Reason}",
                    r.Process?.Pid, restarts: r.Restarts, reason: result.Reason);
            else if (r.AliveFailures > 0)
                log.Service(spec.Name, EventNames.Healthy,
                    $"healthy again: its liveness check passed " +
                        $"after {r.AliveFailures} failure{(r.AliveFailures == 1 ? "" : "s")} (last: {r.AliveReason})",
                    r.Process?.Pid, restarts: r.Restarts, reason: r.AliveReason);
        }
        return any;
    }

    /// <summary>
    /// What a plan changed, as events: services that never ran and were stopped before they started (waiting, or in
    /// backoff); for scheduled tasks, a new due time (<c>scheduled</c>), a due time skipped (<c>skipped</c>), a schedule
    /// paused (<c>stopped</c>). Runs are logged where they start and end.
    /// </summary>
    public static void PlanChanges(ServiceTable table, EventLog log, ImmutableArray<ServiceRuntime> before,
        ImmutableArray<ServiceRuntime> after)
    {
        for (var i = 0; i < before.Length; i++)
        {
            var name = table.Services[i].Name;
            var (b, a) = (before[i], after[i]);
            if (b.Phase is ServicePhase.Waiting or ServicePhase.Backoff && a.Phase == ServicePhase.Stopped
                && Transitions.Describe(TransitionCause.StoppedBeforeStart, a.Phase, new TransitionFacts("", null, 0, null, "",
                    b.Phase)) is { } e)
                log.Service(name, e.Event, e.Message, restarts: a.Restarts);
            if (table.Services[i].Schedule is not { } schedule) continue;
            if (a.Schedule.Skipped > b.Schedule.Skipped && a.Schedule.LastSkip is { } skip)
                log.Service(name, EventNames.Skipped, $"skipped the run due at {ScheduleRules.Format(skip.Due)}: {skip.Why}",
                    a.Process?.Pid, restarts: a.Restarts);
            if (b.Phase == ServicePhase.Scheduled && a.Phase == ServicePhase.Stopped)
                log.Service(name, EventNames.Stopped, "schedule paused: no run until 'tend start'", restarts: a.Restarts);
            var activated = a.Phase == ServicePhase.Scheduled && b.Phase is ServicePhase.Waiting or ServicePhase.Stopped;
            if (a.Schedule.NextDueAt != b.Schedule.NextDueAt || activated)
                log.Service(name, EventNames.Scheduled,
                    a.Schedule.NextDueAt is { } due ? $"next run at {ScheduleRules.Format(due)} ({schedule})"
                    : $"no due time comes again ({schedule})",
                    restarts: a.Restarts);
        }
    }

    /// <summary>
    /// Says once, when a service starts waiting for a dependency that failed, which one and how to go on (it would
    /// otherwise stay <c>waiting</c> without a word); <paramref name="said"/> holds the services said so, and forgets
    /// one once it no longer waits behind a failure (said again if it comes back).
    /// </summary>
    public static void BlockedChanges(ServiceTable table, EventLog log, ImmutableArray<ServiceRuntime> runtimes, HashSet<int> said)
    {
        for (var i = 0; i < runtimes.Length; i++)
        {
            var failed = runtimes[i].Phase == ServicePhase.Waiting ? FailedDependencies(table, runtimes, i) : [];
            if (failed.Count == 0)
            {
                said.Remove(i);
                continue;
            }
            if (!said.Add(i)) continue;
            var names = string.Join(", ", failed.Select(d => table.Services[d].Name));
            var first = table.Services[failed[0]].Name;
            log.Service(table.Services[i].Name, EventNames.Blocked,
                $"waits for {names}, which failed: it starts once {(failed.Count == 1 ? "that" : "they")} ran again (tend " +
                    $"restart {first}; see tend status {first})",
                restarts: runtimes[i].Restarts, error: true);
        }
    }

    /// <summary>The dependencies of service <paramref name="i"/> that failed.</summary>
    private static List<int> FailedDependencies(ServiceTable table, ImmutableArray<ServiceRuntime> runtimes, int i) =>
        Reconciler.BlockingDependencies(table, runtimes, i).Where(d => runtimes[d].Phase == ServicePhase.Failed).ToList();

    /// <summary>Why a shutdown with code 0 begins: a critical service ended (the interactive shell's exit 0), or nothing is left.</summary>
    public static string EndSummary(ServiceTable table, ImmutableArray<ServiceRuntime> runtimes)
    {
        var ended = Enumerable.Range(0, table.Count)
            .Where(i => table.Services[i] is { Critical: true, OneShot: false,
                Schedule: null } && runtimes[i].Phase == ServicePhase.Completed).ToList();
        return ended.Count > 0
            ? $"critical service {string.Join(", ", ended.Select(i => table.Services[i].Name))} ended (its end ends the container): " +
                $"stopping the others"
            : "nothing left to supervise";
    }

    /// <summary>Why a shutdown begins when services failed: the critical ones (or those that wait for a failed dependency), else every one
    /// that failed.</summary>
    public static string FailureSummary(ServiceTable table, ImmutableArray<ServiceRuntime> runtimes)
    {
        var waiting = Enumerable.Range(0, table.Count)
            .Where(i => table.Services[i].Critical && runtimes[i].Phase == ServicePhase.Waiting && FailedDependencies(table, runtimes,
                i).Count > 0).ToList();
        if (waiting.Count > 0 && !Enumerable.Range(0,
            table.Count).Any(i => table.Services[i].Critical && runtimes[i].Phase == ServicePhase.Failed))
            return "critical service " + string.Join(", ", waiting.Select(i =>
                $"{table.Services[i].Name} cannot " +
                    $"start: {string.Join(", ", FailedDependencies(table, runtimes, i).Select(d => table.Services[d].Name))} failed"));
        var failed = Enumerable.Range(0, table.Count).Where(i => runtimes[i].Phase == ServicePhase.Failed).ToList();
        var critical = failed.Where(i => table.Services[i].Critical).ToList();
        var names = string.Join(", ", (critical.Count > 0 ? critical : failed).Select(i => table.Services[i].Name));
        return critical.Count > 0 ? $"critical service failed: {names}" : $"every service ended, and these failed: {names}";
    }
}
