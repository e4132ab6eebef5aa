using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What the supervisor shows a request desk: the table, what is wanted, what is, and the time (ms).</summary>
public readonly record struct SupervisorView(ServiceTable Table, DesiredState Desired, ImmutableArray<ServiceRuntime> Runtimes, long Now);

/// <summary>What a request desk asks of the supervisor: a new desired state, and services to begin afresh.</summary>
/// <param name="Desired">The desired state to reach.</param>
/// <param name="Reopen">Failed or completed services asked to start again (<see cref="Reconciler.OnReopened"/>).</param>
/// <param name="Changed">Something changed that calls for another round of planning at once.</param>
public readonly record struct RequestOutcome(DesiredState Desired, ImmutableArray<int> Reopen, bool Changed)
{
    /// <summary>Scheduled tasks to run once now (<c>tend run</c>: <see cref="ScheduleRules.OnRunRequested"/>).</summary>
    public ImmutableArray<int> RunNow { get; init; } = [];

    /// <summary>Nothing to change.</summary>
    public static RequestOutcome None(DesiredState desired) => new(desired, [], false);
}

/// <summary>
/// Requests from outside the supervisor (the control plane: <c>Tend.Control.ControlDesk</c>), decided on the
/// supervisor's thread between rounds. The supervisor knows nothing of how they arrive or are answered; the desk
/// changes nothing but through the <see cref="RequestOutcome"/> it returns.
/// </summary>
public interface IRequestDesk
{
    /// <summary>Said in Tend's first line (where requests come from), or null.</summary>
    string? Description { get; }

    /// <summary>Requests are still waiting for an answer.</summary>
    bool Busy { get; }

    /// <summary>Handles one request given to <see cref="Supervisor.Post"/>.</summary>
    RequestOutcome Handle(object request, SupervisorView view);

    /// <summary>After each round: requests whose goal is reached (or past their deadline) get their answer.</summary>
    RequestOutcome Settle(SupervisorView view);

    /// <summary>The earliest deadline (ms) of a waiting request, or <see cref="long.MaxValue"/>.</summary>
    long NextDeadline { get; }

    /// <summary>Tend begins a shutdown: what waits gets an answer saying <paramref name="why"/>, and nothing waits any more.</summary>
    void ShuttingDown(string why);

    /// <summary>Tend exits: every request still pending (<paramref name="unhandled"/>: posted but never handled) gets an answer, and the desk closes.</summary>
    void Close(IEnumerable<object> unhandled);
}
