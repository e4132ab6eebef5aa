using Tend.Logging;

namespace Tend.Supervision;

/// <summary>Settings of the supervisor itself (not of any one service).</summary>
internal sealed record SupervisorOptions
{
    /// <summary>Prefix each line of the services' output with the service name (through pipes); otherwise they inherit Tend's stdout and
    /// stderr.</summary>
    public bool LogPrefix { get; init; }

    /// <summary>
    /// The log ring size of a service that declares none, in bytes (<c>--log-buffer SIZE</c>; default
    /// <see cref="ServiceLogs.DefaultCapacity"/>); 0: no service's output is kept, and the services write straight to
    /// Tend's stdout and stderr without a copy (unless <c>--log-prefix</c>).
    /// </summary>
    public int LogBuffer { get; init; } = ServiceLogs.DefaultCapacity;

    /// <summary>The format of Tend's own lines on stderr.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>
    /// How often /proc is checked for tracked processes that are not Tend's children (adopted ones); processes
    /// that are Tend's children need no scan: their exit is seen at once.
    /// </summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Adopt a process of a service's match name that is already running when Tend starts, instead of starting
    /// another: true, false, or null for the default — only as PID 1, where every process is in Tend's own container.
    /// Not PID 1, a process of that name belongs to someone else unless the user says otherwise (<c>--adopt</c>).
    /// </summary>
    public bool? Adopt { get; init; }

    /// <summary>
    /// As PID 1, leave <c>/run</c> as it is (<c>--keep-run</c>). By default a container restart is a boot: the previous
    /// boot's pid files, lock files and @reboot markers are removed before anything starts (<c>Posix/BootState.cs</c>).
    /// </summary>
    public bool KeepRun { get; init; }

    /// <summary><c>--drain-delay</c>: at the first stop signal, stay up but not ready this long before stopping (Supervision/Drain.cs), or
    /// null.</summary>
    public TimeSpan? DrainDelay { get; init; }

    /// <summary>Publish the state after each round for readers on other threads (<see cref="Supervisor.Latest"/>: the HTTP endpoint); off,
    /// nothing is kept for them.</summary>
    public bool PublishState { get; init; }
}
