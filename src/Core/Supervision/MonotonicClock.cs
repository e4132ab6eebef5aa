using System.Diagnostics;

namespace Tend.Supervision;

/// <summary>
/// The supervisor's clock: milliseconds of <see cref="Stopwatch"/> (CLOCK_MONOTONIC on Linux, clock_gettime(2)), which
/// a change of the wall clock never moves. Every deadline of the supervisor (backoff, stop timeouts, checks) is on it.
/// </summary>
internal static class MonotonicClock
{
    /// <summary>Now, in milliseconds since an arbitrary start (the host's boot).</summary>
    public static long NowMs => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000);
}
