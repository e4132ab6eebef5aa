using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What the supervisor shows a request desk: the table, what is wanted, what is, and the time (ms).</summary>
public readonly record struct SupervisorView(ServiceTable Table, DesiredState Desired, ImmutableArray<ServiceRuntime> Runtimes, long Now);
