namespace Tend.Control;

/// <summary>What a waiting request waits for.</summary>
public enum ControlGoal
{
    /// <summary>The service stopped (or failed, or completed).</summary>
    Down,
    /// <summary>The service is ready.</summary>
    Up,
    /// <summary>A new run of the service (more starts than <see cref="ControlWaiter.StartsBefore"/>) is ready.</summary>
    Restarted,
    /// <summary>The service is ready, without asking for anything.</summary>
    Ready,
}
