namespace Tend.Control;

/// <summary>A line for the event log about one service.</summary>
public readonly record struct ControlEvent(int Service, string Event, string Message, int? Pid);
