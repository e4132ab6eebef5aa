namespace Tend.Supervision;

/// <summary>
/// The drain step (<c>--drain-delay D</c>, which <c>tend export kubernetes --drain-delay</c> gives): at SIGTERM inside a pod the
/// kubelet signals the container while the endpoints that route to it are still being removed, concurrently
/// (Kubernetes docs, "Termination of Pods"), so a service that stops at once refuses requests still on their way.
/// On the first stop signal Tend turns not-ready (<c>tend health</c> fails), waits <see cref="Delay"/>, and only then
/// stops the services in reverse dependency order; a second stop signal ends the wait. Owns only its deadline: the
/// supervisor asks it.
/// </summary>
/// <param name="delay">How long to stay up, not ready, before stopping.</param>
internal sealed class Drain(TimeSpan delay)
{
    /// <summary>How long to stay up, not ready, before stopping.</summary>
    public TimeSpan Delay { get; } = delay;

    /// <summary>When the drain ends (monotonic ms), or <see cref="long.MaxValue"/> while it has not begun or is over.</summary>
    public long DueAt { get; private set; } = long.MaxValue;

    private bool _begun;

    /// <summary>At a stop signal: true when this one begins the drain (stop later), false when it already began (stop now).</summary>
    public bool Begin(long now)
    {
        if (_begun) return false;
        _begun = true;
        DueAt = now + (long)Delay.TotalMilliseconds;
        return true;
    }

    /// <summary>Whether the drain just ended at <paramref name="now"/>: true once, then the stop follows.</summary>
    public bool Ended(long now)
    {
        if (now < DueAt) return false;
        DueAt = long.MaxValue;
        return true;
    }
}
