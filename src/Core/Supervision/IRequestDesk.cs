using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>
/// Requests from outside the supervisor (the control plane: <c>Tend.Control.ControlDesk</c>), decided on the
/// supervisor's thread between rounds. The supervisor knows nothing of how they arrive or are answered; the desk
/// changes nothing but through the <see cref="RequestOutcome"/> it returns.
/// </summary>
internal interface IRequestDesk
{
    /// <summary>Said in Tend's first line (where requests come from), or null.</summary>
    string? Description { get; }

    /// <summary>Requests are still waiting for an answer.</summary>
    bool Busy { get; }

    /// <summary>After each round: requests whose goal is reached (or past their deadline) get their answer.</summary>
    RequestOutcome Settle(SupervisorView view);

    /// <summary>The earliest deadline (ms) of a waiting request, or <see cref="long.MaxValue"/>.</summary>
    long NextDeadline { get; }

    /// <summary>Tend begins a shutdown: what waits gets an answer saying <paramref name="why"/>, and nothing waits any more.</summary>
    void ShuttingDown(string why);

    /// <summary>Tend exits: every request still waiting gets an answer, and the desk closes (the supervisor refuses those posted but never
    /// decided).</summary>
    void Close();
}
