namespace Tend.Supervision;

/// <summary>One effect for the supervisor to carry out.</summary>
internal readonly record struct SupervisorAction(ActionKind Kind, int Service, int Signal = 0);
