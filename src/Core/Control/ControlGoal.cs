namespace Tend.Control;

/// <summary>What a waiting request waits for.</summary>
internal enum ControlGoal
{
    /// <summary>The service stopped (or failed, or completed).</summary>
    Down,
    /// <summary>The service is ready.</summary>
    Up,
    /// <summary>A new run of the service (more starts than <see cref="ControlWaiter.StartsBefore"/>) is ready.</summary>
    Restarted,
    /// <summary>The service is ready, without asking for anything.</summary>
    Ready,
    /// <summary>A run of a scheduled task asked for with <c>tend run</c> started (more starts than
    /// <see cref="ControlWaiter.StartsBefore"/>).</summary>
    Ran,
}
