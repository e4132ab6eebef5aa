namespace Tend.Export;

/// <summary>
/// One declared service as exported: its spec (options bound as for a run), and what its own container needs to bind
/// the same options — the command-line arguments and the <c>TEND_*</c> variables that set them when export ran.
/// </summary>
/// <param name="Spec">The bound service.</param>
/// <param name="Options">The arguments that set its options, as given to export (e.g. <c>--web-port 8080</c>).</param>
/// <param name="Environment">The <c>TEND_*</c> variables that set its options in export's environment.</param>
public sealed record ExportedService(ServiceSpec Spec, IReadOnlyList<string> Options, IReadOnlyList<KeyValuePair<string, string>> Environment)
{
    /// <summary>The service's name.</summary>
    public string Name => Spec.Name;

    /// <summary>
    /// The image's arguments in the service's own container: Tend as a thin PID 1 (<c>--orchestrated</c>) running only
    /// this service with its options.
    /// </summary>
    public IReadOnlyList<string> Arguments => ["--orchestrated", "--only", Spec.Name, .. Options];

    /// <summary>A long-running service (not a one-shot task).</summary>
    public bool LongRunning => !Spec.OneShot;

    /// <summary>The TCP port its readiness check connects to, or null.</summary>
    public int? TcpPort => Spec.Ready is { Kind: ReadinessKind.Tcp } r ? r.Port : null;

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
