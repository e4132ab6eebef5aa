using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>The reconciler's answer: the next runtimes, the effects, and when to look again.</summary>
/// <param name="Next">The runtimes after the plan's own transitions.</param>
/// <param name="Actions">Effects to carry out, in order.</param>
/// <param name="WakeAt">The earliest deadline (ms) at which the reconciler must run again, or null when only an event can change
/// anything.</param>
/// <param name="ExitCode">Set when Tend must exit now with this code.</param>
/// <param name="ShutdownCode">Set when Tend must begin a shutdown (a critical service failed, or nothing is left to supervise).</param>
internal readonly record struct Plan(ImmutableArray<ServiceRuntime> Next, ImmutableArray<SupervisorAction> Actions, long? WakeAt,
    int? ExitCode, int? ShutdownCode)
{
    /// <summary>
    /// Once its actions are carried out, the plan is to be made again at once, without waiting: a start may unblock
    /// dependents, and a finished restart starts again. (So is it when a service became ready, or a request changed the
    /// desired state.)
    /// </summary>
    public bool PlanAgain => Actions.Any(a => a.Kind == ActionKind.Start);
}
