using System.Collections.Immutable;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>The decision on one request, or on the waiting ones after a round.</summary>
/// <param name="Desired">The desired state to reach.</param>
/// <param name="State">The desk's state after it.</param>
/// <param name="Reopen">Failed or completed services to begin afresh.</param>
/// <param name="Reply">The answer to give now, or null when the request waits (it is then in <see cref="ControlState.Waiters"/>).</param>
/// <param name="Event">A line to log, or null.</param>
/// <param name="Signal">For <c>signal</c>: the service and signal to send (the answer depends on whether it could be sent).</param>
/// <param name="Answers">After a round: waiting requests that get their answer now.</param>
/// <param name="Changed">The desired state or a runtime changed: plan again at once.</param>
public sealed record ControlDecision(
    DesiredState Desired, ControlState State, ImmutableArray<int> Reopen, string? Reply, ControlEvent? Event,
    (int Service, int Signal)? Signal, ImmutableArray<(ControlRequest Request, string Reply)> Answers, bool Changed)
{
    /// <summary>Scheduled tasks to run once now (<c>tend run</c>).</summary>
    public ImmutableArray<int> RunNow { get; init; } = [];
}
