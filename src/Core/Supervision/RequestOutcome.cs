using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What a request desk asks of the supervisor: a new desired state, and services to begin afresh.</summary>
/// <param name="Desired">The desired state to reach.</param>
/// <param name="Reopen">Failed or completed services asked to start again (<see cref="Reconciler.OnReopened"/>).</param>
/// <param name="Changed">Something changed that calls for another round of planning at once.</param>
internal readonly record struct RequestOutcome(DesiredState Desired, ImmutableArray<int> Reopen, bool Changed)
{
    /// <summary>Scheduled tasks to run once now (<c>tend run</c>: <see cref="ScheduleRules.OnRunRequested"/>).</summary>
    public ImmutableArray<int> RunNow { get; init; } = [];

    /// <summary>Nothing to change.</summary>
    public static RequestOutcome None(DesiredState desired) => new(desired, [], false);
}
