using Tend.Logging;

namespace Tend.Supervision;

/// <summary>Why a service changed phase: the cause column of <see cref="Transitions"/>.</summary>
internal enum TransitionCause
{
    /// <summary>Its run ended (its main process exited, or its launcher failed).</summary>
    RunEnded,

    /// <summary>What was left of a run that ended, or of a service asked to stop, is gone.</summary>
    LeftoversGone,

    /// <summary>Its command could not be spawned.</summary>
    SpawnFailed,

    /// <summary>Stopped before its run began (waiting for a dependency, or in backoff).</summary>
    StoppedBeforeStart,
}

/// <summary>What an event says about a transition: the facts its message is made of.</summary>
/// <param name="What">How the run ended, in words ("pid 12 exited with signal SIGKILL").</param>
/// <param name="Exit">How the run's main process ended, if known.</param>
/// <param name="DelayMs">The delay before the next start, in backoff.</param>
/// <param name="Reason">Why the service failed, when it did.</param>
/// <param name="NextRun">For a scheduled task: "; next run at …", or "".</param>
/// <param name="Before">The phase before.</param>
internal readonly record struct TransitionFacts(string What, ExitStatus? Exit, long DelayMs, string? Reason, string NextRun,
    ServicePhase Before);

/// <summary>
/// Every state change of a service and the event it is logged as, in one table (as s6-supervise keeps its state changes
/// in one table): the cause, the phase after, the event name, whether it is an error, and the message. A transition
/// with no row logs nothing.
/// </summary>
internal static class Transitions
{
    private readonly record struct Row(TransitionCause Cause, ServicePhase After, string Event, Func<TransitionFacts, bool> Error,
        Func<TransitionFacts, string?> Message);

    private static readonly Row[] Rows =
    [
        new(TransitionCause.RunEnded, ServicePhase.Backoff, EventNames.Exited, _ => false,
            f => f.What + (f.DelayMs == 0 ? "; restarting now" : $"; restarting in {f.DelayMs}ms")),
        new(TransitionCause.RunEnded, ServicePhase.Cleaning, EventNames.Exited, _ => false, f => f.What + "; stopping what is left of it"),
        new(TransitionCause.RunEnded, ServicePhase.Failed, EventNames.Failed, _ => true, f => f.What + $"; giving up: {f.Reason}"),
        new(TransitionCause.RunEnded, ServicePhase.Completed, EventNames.Completed, _ => false, f => f.What),
        new(TransitionCause.RunEnded, ServicePhase.Scheduled, EventNames.Completed, f => f.Exit is { Success: false },
            f => f.What + f.NextRun),
        new(TransitionCause.RunEnded, ServicePhase.Stopped, EventNames.Stopped, _ => false, f => f.What),
        new(TransitionCause.RunEnded, ServicePhase.Stopping, EventNames.Exited, _ => false, f => f.What),
        new(TransitionCause.LeftoversGone, ServicePhase.Stopped, EventNames.Stopped, _ => false,
            f => f.Before != ServicePhase.Stopping ? null : f.Exit is { } last ? $"stopped (its main process ended with {last})"
                : "stopped"),
        new(TransitionCause.LeftoversGone, ServicePhase.Backoff, EventNames.Backoff, _ => false,
            f => f.DelayMs > 0 ? $"restarting in {f.DelayMs}ms" : null),
        new(TransitionCause.LeftoversGone, ServicePhase.Failed, EventNames.Failed, _ => true,
            f => $"what was left of it stopped; giving up: {f.Reason}"),
        new(TransitionCause.LeftoversGone, ServicePhase.Completed, EventNames.Completed, _ => false,
            _ => "what was left of it stopped; completed"),
        new(TransitionCause.LeftoversGone, ServicePhase.Scheduled, EventNames.Completed, f => f.Exit is { Success: false },
            f => $"what was left of its run stopped; the run ended with {f.Exit}{f.NextRun}"),
        new(TransitionCause.SpawnFailed, ServicePhase.Failed, EventNames.Failed, _ => true, f => $"cannot start: {f.Reason}; giving up"),
        new(TransitionCause.SpawnFailed, ServicePhase.Backoff, EventNames.SpawnError, _ => true,
            f => $"cannot start: {f.What}; retrying in {f.DelayMs}ms"),
        new(TransitionCause.StoppedBeforeStart, ServicePhase.Stopped, EventNames.Stopped, _ => false,
            f => $"stopped before it {(f.Before == ServicePhase.Waiting ? "started" : "restarted")}"),
    ];

    /// <summary>The event for a transition to <paramref name="after"/> by <paramref name="cause"/>, or null when it logs nothing.</summary>
    public static (string Event, bool Error, string Message)? Describe(TransitionCause cause, ServicePhase after, TransitionFacts facts)
    {
        foreach (var row in Rows)
            if (row.Cause == cause && row.After == after)
                return row.Message(facts) is { } message ? (row.Event, row.Error(facts), message) : null;
        return null;
    }
}
