namespace Tend.Supervision;

/// <summary>One effect for the supervisor to carry out.</summary>
public readonly record struct SupervisorAction(ActionKind Kind, int Service, int Signal = 0);
