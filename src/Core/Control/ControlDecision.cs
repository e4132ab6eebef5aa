using System.Collections.Immutable;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>The decision on one request, or on the waiting ones after a round: all but the states are optional.</summary>
/// <param name="Desired">The desired state to reach.</param>
/// <param name="State">The desk's state after it.</param>
internal sealed record ControlDecision(DesiredState Desired, ControlState State)
{
    /// <summary>Failed or completed services to begin afresh.</summary>
    public ImmutableArray<int> Reopen { get; init; } = [];

    /// <summary>The answer to give now, or null when the request waits (it is then in <see cref="ControlState.Waiters"/>).</summary>
    public string? Reply { get; init; }

    /// <summary>A line to log, or null.</summary>
    public ControlEvent? Event { get; init; }

    /// <summary>For <c>signal</c>: the service and signal to send (the answer depends on whether it could be sent).</summary>
    public (int Service, int Signal)? Signal { get; init; }

    /// <summary>After a round: waiting requests that get their answer now.</summary>
    public ImmutableArray<(ControlRequest Request, string Reply)> Answers { get; init; } = [];

    /// <summary>The desired state or a runtime changed: plan again at once.</summary>
    public bool Changed { get; init; }

    /// <summary>Scheduled tasks to run once now (<c>tend run</c>).</summary>
    public ImmutableArray<int> RunNow { get; init; } = [];
}
