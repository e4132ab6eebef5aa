namespace Tend;

/// <summary>
/// Which processes a stop reaches — and, after the main process died, which leftovers are stopped before the
/// restart. Modelled on systemd's <c>KillMode=</c> (systemd.kill(5)); the default follows the service's lineage.
/// </summary>
public enum KillMode
{
    /// <summary>
    /// Every process of the run's start-up (default): the process groups of its launcher and of every process its
    /// lineage had while starting up, even detached ones (a daemon after <c>setsid</c>, the server <c>pg_ctl</c>
    /// started). Sessions the daemon starts later (an sshd login, a job) are their own and survive, as under Debian's
    /// ssh unit, s6 and runit.
    /// </summary>
    Lineage,

    /// <summary>
    /// Wider: every process of the run, including sessions the daemon started later (systemd's
    /// <c>control-group</c>): a restart ends the logins of an sshd too.
    /// </summary>
    ControlGroup,

    /// <summary>
    /// The stop signal to the main process only, which stops the rest itself; SIGKILL after the stop timeout to
    /// everything <see cref="Lineage"/> reaches (systemd's <c>mixed</c>; what PostgreSQL's own unit uses).
    /// </summary>
    Mixed,

    /// <summary>Narrowest: the main process only, the stop signal and SIGKILL alike (systemd's <c>process</c>).</summary>
    Process,
}
