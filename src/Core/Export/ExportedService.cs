namespace Tend.Export;

/// <summary>
/// One declared service as exported: its spec (options bound as for a run), and what its own container needs to bind
/// the same options — the command-line arguments and the <c>TEND_*</c> variables that set them when export ran.
/// </summary>
/// <param name="Spec">The bound service.</param>
/// <param name="Options">The arguments that set its options, as given to export (e.g. <c>--web-port 8080</c>).</param>
/// <param name="Environment">The <c>TEND_*</c> variables that set its options in export's environment.</param>
internal sealed record ExportedService(ServiceSpec Spec, IReadOnlyList<string> Options, IReadOnlyList<KeyValuePair<string,
    string>> Environment)
{
    /// <summary>The service's name.</summary>
    public string Name => Spec.Name;

    /// <summary>
    /// The image's arguments in the service's own container: Tend as a thin PID 1 (<c>--orchestrated</c>) running only
    /// this service with its options.
    /// </summary>
    public IReadOnlyList<string> Arguments => ["--orchestrated", "--only", Spec.Name, .. Options];

    /// <summary>A long-running service (not a one-shot task, not a scheduled one).</summary>
    public bool LongRunning => !Spec.OneShot && Spec.Schedule is null;

    /// <summary>A task run at each due time of its schedule.</summary>
    public bool Scheduled => Spec.Schedule is not null;

    /// <summary>
    /// The port its readiness check connects to (a TCP or an HTTP check), or null: the port it serves on, which its
    /// container declares, a Kubernetes Service forwards and a dependent in another container waits for.
    /// </summary>
    public int? Port => Spec.Ready?.Check is { Kind: CheckKind.Tcp or CheckKind.Http } r ? r.Port : null;

    /// <summary>
    /// The address a dependent in another container waits for before it starts (<c>tend wait-for</c>), given the name
    /// this service is reached by there: <c>tcp:NAME:PORT</c> for a TCP readiness check, <c>http://NAME:PORT/PATH</c>
    /// for an HTTP one (the same request), else null (a file, a command or a daemon to be found cannot be checked from
    /// another container).
    /// </summary>
    public string? WaitAddress(string host)
    {
        if (host.Contains(':')) host = $"[{host}]"; // an IPv6 address
        var port = Port?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Spec.Ready?.Check switch
        {
            { Kind: CheckKind.Tcp } => $"tcp:{host}:{port}",
            { Kind: CheckKind.Http } r => $"http://{host}:{port}{r.HttpPath}",
            _ => null,
        };
    }

    /// <summary>
    /// For a scheduled task that Tend schedules in its own container (Compose has no scheduler; a schedule a CronJob
    /// cannot express): <see cref="Arguments"/> and its schedule given again with <c>--schedule</c>, which
    /// <c>--orchestrated</c> keeps (a declared schedule alone it leaves to the orchestrator: one run, then exit).
    /// </summary>
    public IReadOnlyList<string> SchedulerArguments => [.. Arguments, "--schedule", $"{Spec.Name}={Spec.Schedule?.Expression}"];

    /// <summary>
    /// Whether dependents must wait for more than its start: a readiness check, or a daemon to be found
    /// (<see cref="ServiceSpec.Daemonizes"/>); <c>tend health</c> answers for both.
    /// </summary>
    public bool HasReadiness => Spec.Ready is not null || Spec.Daemonizes;

    /// <summary>
    /// The longest a stop of its container may take: its stop timeout, then (as PID 1) what is left in the container
    /// gets the longest stop timeout again, plus a little for the exits to be reaped. Whole seconds.
    /// </summary>
    public int StopBudgetSeconds => (int)Math.Ceiling(2 * Spec.StopTimeout.TotalSeconds) + 2;
}
