using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What the user wants: which services should run, and whether Tend is shutting down.</summary>
/// <param name="Up">For each service, whether it should run.</param>
/// <param name="ShuttingDown">Tend is stopping everything and will exit.</param>
/// <param name="ExitCode">The code to exit with once everything stopped.</param>
/// <param name="Force">A second stop request: SIGKILL what is still running now, without waiting for stop timeouts or dependents.</param>
/// <param name="Draining">A stop signal came and Tend drains before stopping (Supervision/Drain.cs): not ready meanwhile.</param>
internal sealed record DesiredState(ImmutableArray<bool> Up, bool ShuttingDown = false, int ExitCode = 0, bool Force = false,
    bool Draining = false)
{
    /// <summary>Every service up, no shutdown.</summary>
    public static DesiredState AllUp(int count) => new(Enumerable.Repeat(true, count).ToImmutableArray());
}
