namespace Tend.Control;

/// <summary>A request that is answered once its goal is reached, or at its deadline (ms).</summary>
internal sealed record ControlWaiter(ControlRequest Request, int Service, ControlGoal Goal, long Deadline, int StartsBefore = 0);
