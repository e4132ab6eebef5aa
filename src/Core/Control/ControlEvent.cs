namespace Tend.Control;

/// <summary>A line for the event log about one service.</summary>
internal readonly record struct ControlEvent(int Service, string Event, string Message, int? Pid);
