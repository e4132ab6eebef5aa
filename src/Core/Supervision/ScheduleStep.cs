namespace Tend.Supervision;

/// <summary>One step of a scheduled task's plan (<see cref="ScheduleRules.Plan"/>).</summary>
/// <param name="Next">The runtime after the step.</param>
/// <param name="Start">A run starts now.</param>
/// <param name="WakeAt">When (monotonic ms) to plan again: the next due time.</param>
/// <param name="Handled">The step decided the phase; the reconciler's general rules do not apply this round.</param>
internal readonly record struct ScheduleStep(ServiceRuntime Next, bool Start, long? WakeAt, bool Handled);
