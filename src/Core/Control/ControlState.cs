using System.Collections.Immutable;

namespace Tend.Control;

/// <summary>What the control desk keeps between requests: what waits, and the restarts whose stop is not done yet.</summary>
internal sealed record ControlState(ImmutableArray<ControlWaiter> Waiters, ImmutableHashSet<int> RestartPending)
{
    /// <summary>Nothing waits.</summary>
    public static readonly ControlState Empty = new([], []);
}
