using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>
/// The supervisor's brain: a pure function of (table, desired, observed, now). It touches no process, clock
/// or file, so every rule below is unit-tested with a fake clock and a fake process table.
/// </summary>
internal static class Reconciler
{
    /// <summary>Once SIGKILL went out, how long to wait for a group to vanish before moving on regardless (an unkillable process in D
    /// state).</summary>
    public const long KillGraceMs = 2000;

    /// <summary>
    /// Decides what to do now: <paramref name="now"/> is the monotonic clock (ms) every deadline is on, and
    /// <paramref name="wallClock"/> the wall clock that scheduled tasks' due times are read on (<see cref="ScheduleRules"/>);
    /// without it, a wall clock that follows the monotonic one (no jump).
    /// </summary>
    public static Plan Reconcile(ServiceTable table, DesiredState desired, ImmutableArray<ServiceRuntime> observed, long now,
        DateTimeOffset? wallClock = null)
    {
        var wall = wallClock ?? DateTimeOffset.UnixEpoch.AddMilliseconds(now);
        var next = observed.ToBuilder();
        var actions = ImmutableArray.CreateBuilder<SupervisorAction>();
        long? wake = null;
        int? shutdown = null;
        void WakeAt(long t) => wake = wake is { } w ? Math.Min(w, t) : t;

        for (var i = 0; i < table.Count; i++)
        {
            var spec = table.Services[i];
            var r = next[i];
            var up = desired.Up[i] && !desired.ShuttingDown;
            if (spec.Schedule is { } schedule
                && ScheduleRules.Plan(schedule, r, up, Dependencies(table, observed, i) == DependencyState.Met, now, wall) is { } step)
            {
                next[i] = r = step.Next;
                if (step.Start) actions.Add(new(ActionKind.Start, i));
                if (step.WakeAt is { } due) WakeAt(due);
                if (step.Handled) continue;
            }
            switch (r.Phase)
            {
                case ServicePhase.Waiting or ServicePhase.Backoff when !up:
                    next[i] = r with { Phase = ServicePhase.Stopped };
                    break;
                case ServicePhase.Stopped when up:
                    // Started again on request (tend start / restart): a manual stop is undone only that way.
                    next[i] = r with { Phase = ServicePhase.Waiting, QuickFailures = [], Reason = null };
                    if (Dependencies(table, observed, i) == DependencyState.Met) actions.Add(new(ActionKind.Start, i));
                    break;
                case ServicePhase.Waiting when spec.Critical && !desired.ShuttingDown
                    && BlockingDependencies(table, observed, i).Any(d => observed[d].Phase == ServicePhase.Failed):
                    // A critical service that can never start (a dependency failed for good) fails the container as its
                    // own failure would: exit 1, it never ran.
                    shutdown = shutdown is > 0 ? shutdown : 1;
                    break;
                case ServicePhase.Waiting:
                    if (Dependencies(table, observed, i) == DependencyState.Met) actions.Add(new(ActionKind.Start, i));
                    break;
                case ServicePhase.Backoff:
                    if (now < r.NextStartAt) WakeAt(r.NextStartAt);
                    else if (Dependencies(table, observed, i) == DependencyState.Met) actions.Add(new(ActionKind.Start, i));
                    break;
                case ServicePhase.Running when !up && desired.Force:
                    actions.Add(new(ActionKind.Signal, i, Signals.SIGKILL));
                    next[i] = r with { Phase = ServicePhase.Stopping, Groups = WithGroup(r.Groups, r.Process!.Pgid), StopSentAt = now,
                        Killed = true };
                    WakeAt(now + KillGraceMs);
                    break;
                case ServicePhase.Running when !up:
                    // Shutdown stops dependents first; a single service stopped on request stops at once.
                    if (!desired.ShuttingDown || table.Dependents[i].All(d => observed[d].IsDown))
                    {
                        actions.Add(new(ActionKind.Signal, i, spec.StopSignal));
                        next[i] = r with { Phase = ServicePhase.Stopping, Groups = WithGroup(r.Groups, r.Process!.Pgid), StopSentAt = now,
                            Killed = false };
                        WakeAt(now + Ms(spec.StopTimeout));
                    }
                    break;
                case ServicePhase.Running when spec.Ready is { } ready && !r.Ready && !AwaitingDaemon(spec, r)
                    && ready.Check.Kind != CheckKind.Notify:
                    // (Notify readiness is not polled: READY=1 comes as a message, Notify.NotifyDesk.)
                    if (now >= r.NextCheckAt)
                    {
                        actions.Add(new(ActionKind.ReadyCheck, i));
                        next[i] = r with { NextCheckAt = now + Math.Max(1, Ms(ready.Interval)) };
                        WakeAt(now + Math.Max(1, Ms(ready.Interval)));
                    }
                    else WakeAt(r.NextCheckAt);
                    break;
                case ServicePhase.Running when spec.Alive is { } alive && !spec.OneShot && IsReady(spec, r):
                    // Liveness: every interval once ready, the first at least one interval after (as Docker's HEALTHCHECK
                    // waits its interval before the first). Due times sit on a grid of the interval, so that services
                    // with the same interval are checked in one wake-up.
                    if (r.NextAliveAt == 0 || now >= r.NextAliveAt)
                    {
                        if (r.NextAliveAt != 0) actions.Add(new(ActionKind.AliveCheck, i));
                        var interval = Math.Max(1, Ms(alive.Interval));
                        var at = NextOnGrid(r.NextAliveAt == 0 ? now + interval - 1 : now, interval);
                        next[i] = r with { NextAliveAt = at };
                        WakeAt(at);
                    }
                    else WakeAt(r.NextAliveAt);
                    break;
                case ServicePhase.Cleaning or ServicePhase.Stopping when desired.Force && !r.Killed:
                    actions.Add(new(ActionKind.Signal, i, Signals.SIGKILL));
                    next[i] = r with { StopSentAt = r.StopSentAt ?? now, Killed = true };
                    WakeAt(now + KillGraceMs);
                    break;
                case ServicePhase.Cleaning or ServicePhase.Stopping:
                    var timeout = r.Phase == ServicePhase.Cleaning ? Math.Min(Ms(spec.CleanupTimeout),
                        Ms(spec.StopTimeout)) : Ms(spec.StopTimeout);
                    if (r.StopSentAt is not { } sent)
                    {
                        actions.Add(new(ActionKind.Signal, i, spec.StopSignal));
                        next[i] = r with { StopSentAt = now };
                        WakeAt(now + timeout);
                    }
                    else if (!r.Killed)
                    {
                        // EXTEND_TIMEOUT_USEC= (sd_notify) may have moved the kill later: to at least that long from when it was said.
                        var deadline = Math.Max(sent + timeout, r.StopExtendedUntil);
                        if (now >= deadline)
                        {
                            actions.Add(new(ActionKind.Signal, i, Signals.SIGKILL));
                            next[i] = r with { Killed = true };
                            WakeAt(deadline + KillGraceMs);
                        }
                        else WakeAt(deadline);
                    }
                    else
                    {
                        var giveUp = sent + timeout + KillGraceMs;
                        if (now >= giveUp)
                        {
                            next[i] = OnGroupGone(r);
                            WakeAt(now); // plan again at once for the phase it moved to
                        }
                        else WakeAt(giveUp);
                    }
                    break;
                case ServicePhase.Failed when spec.Critical && !desired.ShuttingDown:
                    shutdown = shutdown is > 0 ? shutdown : r.LastExit?.ShellCode is > 0 and var code ? code : 1;
                    break;
                case ServicePhase.Completed when spec.Critical && !spec.OneShot && spec.Schedule is null && !desired.ShuttingDown:
                    // A critical service that ended for good without failing (its restart policy said so): the container
                    // has nothing left to do.
                    shutdown ??= 0;
                    break;
            }
        }

        int? exit = null;
        var final = next.ToImmutable();
        if (desired.ShuttingDown)
        {
            if (final.All(r => r.Phase is ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed or ServicePhase.Waiting))
                exit = desired.ExitCode;
        }
        else if (shutdown is null && NothingLeft(table, final))
        {
            shutdown = final.Any(r => r.Phase == ServicePhase.Failed) ? 1 : 0;
        }
        return new Plan(final, actions.ToImmutable(), wake, exit, shutdown);
    }

    /// <summary>
    /// The service's process was spawned (marked with <paramref name="mark"/>, 0 for none) or adopted: a new run,
    /// starting up for at least <see cref="Lineage.StartupMinMs"/>. A start after the first is a restart, unless it is a
    /// run of a scheduled task (<paramref name="scheduled"/>; <see cref="ServiceRuntime.Restarts"/>).
    /// </summary>
    public static ServiceRuntime OnStarted(ServiceRuntime r, TrackedProcess process, long now, ulong mark = 0, bool scheduled = false) =>
        r with
        {
            Phase = ServicePhase.Running, Run = RunIdentity.Started(process, mark, now), StartedAt = now, Starts = r.Starts + 1,
            Restarts = r.Restarts + (r.Starts > 0 && !scheduled ? 1 : 0),
            StopSentAt = null, Killed = false, Reason = null, Ready = false, NextCheckAt = now,
            NextAliveAt = 0, AliveFailures = 0, AliveReason = null, AlivePassed = false, Unhealthy = false, SpawnShortages = 0,
            NotifyStatus = null, StopExtendedUntil = 0,
        };

    /// <summary>A failed or completed service asked to start again (<c>tend start</c>, <c>tend restart</c>) begins afresh; others are
    /// unchanged (a stopped one goes on through <see cref="Reconcile"/>).</summary>
    public static ServiceRuntime OnReopened(ServiceRuntime r) =>
        r.Phase is ServicePhase.Failed or ServicePhase.Completed ? r with { Phase = ServicePhase.Stopped, Reason = null,
            QuickFailures = [] } : r;

    /// <summary>
    /// A liveness check of the current run ended. A pass resets the count of failures; the <see cref="Liveness.Failures"/>th
    /// failure in a row makes the service unhealthy: it is stopped like on request (its stop signal, SIGKILL after its stop
    /// timeout) and, once its main process ended, started again (<see cref="OnExited"/>).
    /// </summary>
    public static ServiceRuntime OnAlive(ServiceSpec spec, ServiceRuntime r, bool passed, string? reason)
    {
        if (r.Phase != ServicePhase.Running || spec.Alive is not { } alive) return r;
        if (passed) return r with { AliveFailures = 0, AliveReason = null, AlivePassed = true, NeverHealthy = 0 };
        var failures = r.AliveFailures + 1;
        if (failures < alive.Failures) return r with { AliveFailures = failures, AliveReason = reason };
        return r with
        {
            Phase = ServicePhase.Stopping, Unhealthy = true, AliveFailures = failures, AliveReason = reason,
            Groups = WithGroup(r.Groups, r.Process?.Pgid ?? 0), StopSentAt = null, Killed = false,
        };
    }

    /// <summary>The next multiple of <paramref name="interval"/> after <paramref name="now"/> (ms).</summary>
    internal static long NextOnGrid(long now, long interval) => (now / interval + 1) * interval;

    /// <summary>The readiness check of the current run passed.</summary>
    public static ServiceRuntime OnReady(ServiceRuntime r) => r with { Ready = true };

    /// <summary>
    /// Whether the service is up for its dependents, <c>tend health</c> and <c>tend wait</c>: running (its daemon
    /// found, when it daemonizes) and, when it has a readiness check, that check passed in this run. A one-shot
    /// task is ready once it completed; a scheduled task while its schedule is active (between runs or running).
    /// </summary>
    public static bool IsReady(ServiceSpec spec, ServiceRuntime r) =>
        spec.Schedule is not null ? r.Phase is ServicePhase.Scheduled or ServicePhase.Running
        : spec.OneShot
            ? r.Phase == ServicePhase.Completed
            : r.Phase == ServicePhase.Running && !AwaitingDaemon(spec, r) && (spec.Ready is null || r.Ready);

    /// <summary>A daemonizing service whose launcher still runs: not up until its daemon is found.</summary>
    private static bool AwaitingDaemon(ServiceSpec spec, ServiceRuntime r) => spec.Daemonizes && r.Process is { Launched: true };

    /// <summary>The spawn failed (no such file, not executable…): counts as a quick failure, so it backs off and hits the start
    /// limit.</summary>
    public static ServiceRuntime OnSpawnFailed(ServiceSpec spec, ServiceRuntime r, string reason, long now)
    {
        var started = r with { StartedAt = now, Starts = r.Starts + 1, Run = RunIdentity.None,
            Restarts = r.Restarts + (r.Starts > 0 && spec.Schedule is null ? 1 : 0) };
        var d = Decide(spec, started, ExitStatus.Exited(127), now);
        return d.Phase == ServicePhase.Failed ? d with { Reason = reason + "; " + d.Reason } : d with { Reason = reason };
    }

    /// <summary>What a verdict of <see cref="Identity"/> made of the run: its main process, launcher, groups, start-up.</summary>
    internal static ServiceRuntime OnIdentity(ServiceRuntime r, RunIdentity run) => r with { Run = run };

    /// <summary>
    /// The spawn failed for want of a resource the machine may free (descriptors, processes, memory): retried with the
    /// usual backoff (at least the initial delay), but not counted toward the start limit — a shortage is not the
    /// service's fault, and marking every service failed for good would outlast it.
    /// </summary>
    public static ServiceRuntime OnSpawnShortage(ServiceSpec spec, ServiceRuntime r, string reason, long now) =>
        r with
        {
            Phase = ServicePhase.Backoff, Run = RunIdentity.None, Reason = reason, SpawnShortages = r.SpawnShortages + 1,
            NextStartAt = now + Math.Max(Ms(spec.BackoffInitial), BackoffDelay(spec, r.SpawnShortages + 2)),
        };

    /// <summary><paramref name="groups"/> with <paramref name="pgid"/> (when it is a group of the service's own, not 0).</summary>
    public static ImmutableArray<int> WithGroup(ImmutableArray<int> groups, int pgid) => RunIdentity.WithGroup(groups, pgid);

    /// <summary>The tracked process ended; <paramref name="groupAlive"/> tells whether members of its process group remain.</summary>
    public static ServiceRuntime OnExited(ServiceSpec spec, ServiceRuntime r, ExitStatus exit, bool groupAlive, long now)
    {
        var gone = r with { LastExit = exit, Process = null, Groups = WithGroup(r.Groups, r.Process?.Pgid ?? 0) };
        if (r.Phase == ServicePhase.Stopping && !r.Unhealthy) return groupAlive ? gone : gone with { Phase = ServicePhase.Stopped };
        var decided = r.Unhealthy ? DecideUnhealthy(spec, gone, exit, now) : Decide(spec, gone, exit, now);
        return groupAlive ? decided with { Phase = ServicePhase.Cleaning, AfterCleanup = decided.Phase, StopSentAt = null,
            Killed = false } : decided;
    }

    /// <summary>The process group left behind is empty now.</summary>
    public static ServiceRuntime OnGroupGone(ServiceRuntime r) => r.Phase switch
    {
        ServicePhase.Cleaning => r with { Phase = r.AfterCleanup, Run = RunIdentity.None, StopSentAt = null, Killed = false },
        ServicePhase.Stopping when r.Process is null => r with { Phase = ServicePhase.Stopped, Run = RunIdentity.None },
        _ => r,
    };

    /// <summary>What follows an exit: complete, fail, or restart after a backoff delay.</summary>
    internal static ServiceRuntime Decide(ServiceSpec spec, ServiceRuntime r, ExitStatus exit, long now)
    {
        if (spec.Schedule is not null) return ScheduleRules.AfterRun(spec, r, exit);
        if (spec.OneShot && exit.Success) return r with { Phase = ServicePhase.Completed };
        var restart = spec.Restart switch
        {
            Restart.Always => !spec.OneShot || !exit.Success,
            Restart.OnFailure => !exit.Success,
            _ => false,
        };
        if (!restart)
            return exit.Success
                ? r with { Phase = ServicePhase.Completed }
                : r with { Phase = ServicePhase.Failed, Reason = $"exited with {exit} and its restart policy is {spec.Restart}" };

        var quick = now - r.StartedAt < Ms(spec.MinUptime);
        var window = Ms(spec.StartWindow);
        var failures = quick ? r.QuickFailures.Where(t => now - t < window).Append(now).ToImmutableArray() : [];
        if (failures.Length > spec.StartLimit)
            return r with
            {
                Phase = ServicePhase.Failed,
                QuickFailures = failures,
                Reason =
                    $"it exited {failures.Length} times within {Duration.Format(spec.StartWindow)}, each after less " +
                        $"than {Duration.Format(spec.MinUptime)} (start limit {spec.StartLimit}; last: {exit})",
            };
        return r with { Phase = ServicePhase.Backoff, QuickFailures = failures, NextStartAt = now + BackoffDelay(spec, failures.Length) };
    }

    /// <summary>
    /// What follows the end of a run stopped as unhealthy: a restart whatever the restart policy but <c>never</c>, counted
    /// like a crash for backoff and the start limit; a service whose runs never passed a liveness check fails after its
    /// start limit of such restarts in a row (however long each run took to be found unhealthy).
    /// </summary>
    private static ServiceRuntime DecideUnhealthy(ServiceSpec spec, ServiceRuntime r, ExitStatus exit, long now)
    {
        var why =
            $"unhealthy: its liveness check ({spec.Alive}) failed {r.AliveFailures} time{(r.AliveFailures == 1 ? "" : "s")} in a row " +
                $"(last: {r.AliveReason})";
        if (spec.Restart == Restart.Never)
            return r with { Phase = ServicePhase.Failed, Reason = $"{why}, and its restart policy is never" };
        var never = r.AlivePassed ? 0 : r.NeverHealthy + 1;
        if (never > spec.StartLimit)
            return r with { Phase = ServicePhase.Failed, NeverHealthy = never,
                Reason =
                $"never healthy: restarted {never - 1} times in a row, its liveness check never passed (start limit {spec.StartLimit}; " +
                    $"last: {r.AliveReason})" };
        var crashed = Decide(spec with { Restart = Restart.Always, OneShot = false }, r,
            exit.Success ? ExitStatus.Killed(spec.StopSignal) : exit, now);
        if (crashed.Phase != ServicePhase.Backoff) return crashed with { NeverHealthy = never, Reason = $"{why}; {crashed.Reason}" };
        return crashed with { NeverHealthy = never, NextStartAt = Math.Max(crashed.NextStartAt, now + BackoffDelay(spec, never)) };
    }

    /// <summary>No delay for the first restart; then the initial backoff, doubling, up to the maximum.</summary>
    public static long BackoffDelay(ServiceSpec spec, int quickFailures)
    {
        if (quickFailures <= 1) return 0;
        var ms = Ms(spec.BackoffInitial) * Math.Pow(2, quickFailures - 2);
        return (long)Math.Min(ms, Ms(spec.BackoffMax));
    }

    /// <summary>The dependencies of service <paramref name="i"/> that keep it from starting for good: stopped, failed, or ended.</summary>
    public static IEnumerable<int> BlockingDependencies(ServiceTable table, ImmutableArray<ServiceRuntime> rts, int i) =>
        table.Dependencies[i].Where(d => Blocks(table.Services[d], rts[d]));

    /// <summary>A dependency that will not come up by itself: failed, or a long-running service that ended or was stopped.</summary>
    private static bool Blocks(ServiceSpec dependency, ServiceRuntime r) =>
        r.Phase is ServicePhase.Failed || (!dependency.OneShot && r.Phase is ServicePhase.Completed or ServicePhase.Stopped);

    private enum DependencyState { Met, Pending, Blocked }

    private static DependencyState Dependencies(ServiceTable table, ImmutableArray<ServiceRuntime> rts, int i)
    {
        var state = DependencyState.Met;
        foreach (var d in table.Dependencies[i])
        {
            // A daemonizing dependency is up once its daemon is found; one with a readiness check once it passed.
            if (IsReady(table.Services[d], rts[d])) continue;
            if (Blocks(table.Services[d], rts[d])) return DependencyState.Blocked;
            state = DependencyState.Pending;
        }
        return state;
    }

    private static bool NothingLeft(ServiceTable table, ImmutableArray<ServiceRuntime> rts)
    {
        for (var i = 0; i < rts.Length; i++)
        {
            var phase = rts[i].Phase;
            if (phase is ServicePhase.Failed or ServicePhase.Completed) continue;
            if (phase == ServicePhase.Waiting && Dependencies(table, rts, i) == DependencyState.Blocked) continue;
            return false;
        }
        return true;
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;
}
