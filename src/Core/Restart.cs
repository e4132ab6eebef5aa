namespace Tend;

/// <summary>When a service whose main process ended is started again.</summary>
public enum Restart
{
    /// <summary>Always, whatever the exit status; also after a stop by hand from inside the container (the seed's behaviour).</summary>
    Always,
    /// <summary>Only when it exited with a non-zero code or was killed by a signal.</summary>
    OnFailure,
    /// <summary>Never: the service runs once.</summary>
    Never,
}
