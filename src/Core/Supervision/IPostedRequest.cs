namespace Tend.Supervision;

/// <summary>
/// A request handed to the supervisor's thread by an <see cref="IRequestDesk"/> (<see cref="Supervisor.Post"/>):
/// decided there between rounds, or refused when Tend exits before it was. What it asks, only the desk knows.
/// </summary>
internal interface IPostedRequest
{
    /// <summary>Decides the request on the supervisor's thread; the outcome is all it changes.</summary>
    RequestOutcome Decide(SupervisorView view);

    /// <summary>Tend exits before <see cref="Decide"/> ran: the request gets an answer saying <paramref name="why"/>.</summary>
    void Refuse(string why);
}
