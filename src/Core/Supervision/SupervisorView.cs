using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What the supervisor shows a request desk: the table, what is wanted, what is, and the time (ms).</summary>
internal readonly record struct SupervisorView(ServiceTable Table, DesiredState Desired, ImmutableArray<ServiceRuntime> Runtimes, long Now)
{
    /// <summary>
    /// Sends a signal to service i's main process group, or its main process, once proven still the service's
    /// (<see cref="Identity.MainTarget"/>): what it reached, or why nothing. Null in a view without processes (tests).
    /// </summary>
    public Func<int, int, (string? Reached, string? Error)>? SignalMain { get; init; }

    /// <summary>
    /// Reads what each service's processes use now, from /proc (<see cref="ServiceUsage.Measure"/>): called only when a
    /// request shows it (<c>tend status</c>). Null in a view without processes (tests).
    /// </summary>
    public Func<ServiceUsage[]>? Usage { get; init; }
}
