namespace Tend;

/// <summary>
/// Everything Tend needs to know to keep one service running. The generator emits one per declared class;
/// ad-hoc command lines get one with the defaults.
/// </summary>
public sealed record ServiceSpec
{
    /// <summary>Creates a service with the given name and command; everything else takes its default.</summary>
    public ServiceSpec(string name, Command command)
    {
        Name = name;
        Command = command;
    }

    /// <summary>The service's name: unique, used in logs, control verbs and option names.</summary>
    public string Name { get; init; }

    /// <summary>What to run.</summary>
    public Command Command { get; init; }

    /// <summary>
    /// A hint, not the rule: a service is what its command started, followed by lineage (<see cref="Supervision.Lineage"/>).
    /// When a launcher hands over to several processes, one of this name is preferred as the main process; and a
    /// process of this name already running when Tend starts as PID 1 (or with <c>--adopt</c>) is adopted instead of
    /// starting another. Defaults to the basename of the command (the seed's rule).
    /// </summary>
    public string? MatchName { get; init; }

    /// <summary>The match name in effect.</summary>
    public string EffectiveMatchName => MatchName ?? Command.BaseName;

    /// <summary>When to start the service again after its main process ended.</summary>
    public Restart Restart { get; init; } = ServiceDefaults.Restart;

    /// <summary>The delay before the second of a series of quick restarts; it doubles after each further one.</summary>
    public TimeSpan BackoffInitial { get; init; } = ServiceDefaults.BackoffValue;

    /// <summary>The longest delay between quick restarts.</summary>
    public TimeSpan BackoffMax { get; init; } = ServiceDefaults.BackoffMaxValue;

    /// <summary>A run shorter than this counts as a quick failure (for backoff and the start limit).</summary>
    public TimeSpan MinUptime { get; init; } = ServiceDefaults.MinUptimeValue;

    /// <summary>More quick failures than this within <see cref="StartWindow"/> mark the service failed.</summary>
    public int StartLimit { get; init; } = ServiceDefaults.StartLimit;

    /// <summary>The window in which <see cref="StartLimit"/> counts.</summary>
    public TimeSpan StartWindow { get; init; } = ServiceDefaults.StartWindowValue;

    /// <summary>The signal that asks the service to stop (sent to its whole process group).</summary>
    public int StopSignal { get; init; } = ServiceDefaults.StopSignalValue;

    /// <summary>How long after the stop signal SIGKILL follows.</summary>
    public TimeSpan StopTimeout { get; init; } = ServiceDefaults.StopTimeoutValue;

    /// <summary>
    /// After the main process died, how long what is left of its group (workers that ignore the stop signal,
    /// like apache's) gets before SIGKILL; never more than <see cref="StopTimeout"/>. Short, so a crash is
    /// undone in well under a second.
    /// </summary>
    public TimeSpan CleanupTimeout { get; init; } = ServiceDefaults.CleanupTimeoutValue;

    /// <summary>Which processes a stop reaches, and which leftovers are stopped after the main process died
    /// (<see cref="Tend.KillMode"/>).</summary>
    public KillMode KillMode { get; init; } = ServiceDefaults.KillMode;

    /// <summary>When this service fails for good, Tend stops everything and exits with the code of its last run (128+N for signal N, as
    /// shells report it), or 1 when it never ran or its last run exited 0.</summary>
    public bool Critical { get; init; }

    /// <summary>
    /// Its command starts a daemon and exits (an init script, sshd without -D). Every service's launcher may hand
    /// over to what it started; this only makes dependents, <c>tend health</c> and <c>tend wait</c> wait until it
    /// did, not merely until the launcher started.
    /// </summary>
    public bool Daemonizes { get; init; }

    /// <summary>A task that runs once to completion; dependents start after it succeeded.</summary>
    public bool OneShot { get; init; }

    /// <summary>
    /// The user to run as: <c>name</c>, <c>uid</c>, <c>name:group</c> or <c>uid:gid</c> (the name's primary group
    /// and supplementary groups by default). Needs <c>setpriv</c> (util-linux) in the image: posix_spawn cannot
    /// change credentials between fork and exec.
    /// </summary>
    public string? User { get; init; }

    /// <summary>
    /// The service reads the container's stdin (Tend's own fd 0, e.g. <c>docker run -i</c>); at most one service may.
    /// Every other service gets <c>/dev/null</c>, so none can swallow input meant for another.
    /// </summary>
    public bool Stdin { get; init; }

    /// <summary>The working directory, or null for Tend's own.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// When the service counts as ready (a TCP port accepts, a file exists, a command succeeds), or null: then it
    /// is ready as soon as it runs. Dependents wait for readiness; <c>tend health</c> and <c>tend wait</c> ask for it.
    /// </summary>
    public Readiness? Ready { get; init; }

    /// <summary>
    /// When the running service counts as alive, or null (then only its exit counts): checked once it is ready; after
    /// <see cref="Liveness.Failures"/> failures in a row it is restarted (<see cref="Liveness"/>).
    /// </summary>
    public Liveness? Alive { get; init; }

    /// <summary>
    /// When it runs, for a scheduled task: it is then run at each due time instead of being kept running — never two
    /// runs at once, missed runs not replayed, a failed run not restarted (see <see cref="Supervision.ScheduleRules"/>).
    /// Null for a service kept running.
    /// </summary>
    public Schedule? Schedule { get; init; }

    /// <summary>
    /// The size of its log ring in bytes (<c>tend logs</c>: its last lines, kept across runs), or null for Tend's default
    /// (<see cref="Logging.ServiceLogs.DefaultCapacity"/>, or <c>--log-buffer SIZE</c>); 0 keeps nothing and lets it
    /// write straight to the container's stdout and stderr (unless <c>--log-prefix</c>).
    /// </summary>
    public int? LogBuffer { get; init; }

    /// <summary>Names of the services that must run (or, for one-shot tasks, have completed) before this one starts.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];
}
