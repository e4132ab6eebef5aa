namespace Tend;

/// <summary>
/// Declares a supervised service. Put it on a <c>partial class</c> with a <c>Command</c> property
/// (<see cref="Tend.Command"/>); Tend's source generator turns every such class into the service table and the
/// binder for the container's arguments. Durations are written like <c>500ms</c>, <c>5s</c>, <c>2m</c>.
/// </summary>
/// <example><code>
/// [Service("web", StopTimeout = "5s")]
/// public partial class Web { public Command Command => new("/usr/sbin/apache2ctl", "-D", "FOREGROUND"); }
/// </code></example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, Inherited = false)]
public sealed class ServiceAttribute(string name) : Attribute
{
    /// <summary>The service's name: lower-case letters, digits and '-', starting with a letter.</summary>
    public string Name { get; } = name;

    /// <summary>When to restart it (default <see cref="Tend.Restart.Always"/>).</summary>
    public Restart Restart { get; set; } = ServiceDefaults.Restart;

    /// <summary>The services that must run (or, for one-shot tasks, have completed) first.</summary>
    public Type[] DependsOn { get; set; } = [];

    /// <summary>A task that runs once to completion before its dependents start.</summary>
    public bool OneShot { get; set; }

    /// <summary>Its command forks a daemon and exits (an init script); dependents wait for the daemon.</summary>
    public bool Daemonizes { get; set; }

    /// <summary>When it fails for good, Tend stops everything and exits with its exit code (128+N for signal N; 1 when it never
    /// ran).</summary>
    public bool Critical { get; set; }

    /// <summary>The signal that asks it to stop, e.g. <c>SIGTERM</c> (default) or <c>SIGQUIT</c>.</summary>
    public string StopSignal { get; set; } = ServiceDefaults.StopSignal;

    /// <summary>Time between the stop signal and SIGKILL (default <c>5s</c>).</summary>
    public string StopTimeout { get; set; } = ServiceDefaults.StopTimeout;

    /// <summary>After its main process died, how long what is left of its process group gets before SIGKILL (default
    /// <c>100ms</c>).</summary>
    public string CleanupTimeout { get; set; } = ServiceDefaults.CleanupTimeout;

    /// <summary>Which processes a stop reaches (default <see cref="Tend.KillMode.Lineage"/>: every process of its start-up; see
    /// <see cref="Tend.KillMode"/>).</summary>
    public KillMode KillMode { get; set; } = ServiceDefaults.KillMode;

    /// <summary>The user to run as: <c>name</c>, <c>uid</c>, <c>name:group</c> or <c>uid:gid</c> (needs setpriv in the image).</summary>
    public string? User { get; set; }

    /// <summary>Delay before the second of a series of quick restarts, doubling after each (default <c>100ms</c>).</summary>
    public string Backoff { get; set; } = ServiceDefaults.Backoff;

    /// <summary>The longest delay between restarts (default <c>30s</c>).</summary>
    public string BackoffMax { get; set; } = ServiceDefaults.BackoffMax;

    /// <summary>A run shorter than this is a quick failure (default <c>1s</c>).</summary>
    public string MinUptime { get; set; } = ServiceDefaults.MinUptime;

    /// <summary>More quick failures than this within <see cref="StartWindow"/> mark it failed (default 5).</summary>
    public int StartLimit { get; set; } = ServiceDefaults.StartLimit;

    /// <summary>The window of <see cref="StartLimit"/> (default <c>10s</c>).</summary>
    public string StartWindow { get; set; } = ServiceDefaults.StartWindow;

    /// <summary>A hint for choosing its main process among the processes its command started, and the name an already running process is
    /// adopted by (default: the command's basename).</summary>
    public string? MatchName { get; set; }

    /// <summary>It reads the container's stdin (<c>docker run -i</c>); every other service gets /dev/null. At most one service
    /// may.</summary>
    public bool Stdin { get; set; }

    /// <summary>
    /// How much of its recent output <c>tend logs</c> keeps, across its runs: <c>"64KiB"</c> (the default,
    /// <see cref="Logging.ServiceLogs.DefaultCapacity"/>), <c>"1M"</c>, <c>"0"</c> (none: it writes straight to the
    /// container's stdout and stderr, without a copy). <c>--log-buffer NAME=SIZE</c> overrides it. Checked at compile time (TEND010).
    /// </summary>
    public string? LogBuffer { get; set; }

    /// <summary>The working directory (default: Tend's).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Makes it a scheduled task, run at each due time of this cron expression instead of being kept running:
    /// <c>"0 3 * * *"</c> (five fields), <c>"*/30 * * * * *"</c> (six, seconds first) or a macro such as <c>"@hourly"</c>,
    /// in the zone <c>TZ</c> names (UTC when unset). Checked at compile time (TEND019).
    /// </summary>
    public string? Schedule { get; set; }
}
