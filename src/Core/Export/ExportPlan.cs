namespace Tend.Export;

/// <summary>What to export: the services, the image that runs them, and what is said about the rest.</summary>
/// <param name="Image">The image (IMAGE[:TAG]) every service's container runs.</param>
/// <param name="AppName">The application's name: the Deployment's, and the prefix of split-layout object names.</param>
/// <param name="Services">The exported services, in declaration order.</param>
/// <param name="NotExported">Ad-hoc command lines given to export, which are not exported.</param>
internal sealed record ExportPlan(string Image, string AppName, IReadOnlyList<ExportedService> Services, IReadOnlyList<string> NotExported)
{
    /// <summary>For Compose: which tool reads the file.</summary>
    public ComposeTarget Target { get; init; }

    /// <summary>For Kubernetes: a read-only root filesystem (with a writable <c>/run</c> and <c>/tmp</c>).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>For Kubernetes' pod layout: no native sidecars (see <see cref="ExportRequest.NoSidecars"/>).</summary>
    public bool NoSidecars { get; init; }

    /// <summary>For Kubernetes: the drain delay of each long-running service's container (<c>--drain-delay</c>), or null.</summary>
    public TimeSpan? DrainDelay { get; init; }

    /// <summary>For Kubernetes: the first port of the containers' HTTP endpoints (<c>--http PORT</c>), or null: probes that ask Tend exec
    /// <c>tend health</c>.</summary>
    public int? HttpPort { get; init; }

    /// <summary>Whole seconds the drain adds to a stop (0 without one).</summary>
    public int DrainSeconds => DrainDelay is { } d ? (int)Math.Ceiling(d.TotalSeconds) : 0;

    /// <summary>For Kubernetes: the user id the containers run as, or null (the image's user).</summary>
    public long? RunAsUser { get; init; }

    /// <summary>For Kubernetes: resource requests and limits, in the order given (a later one wins).</summary>
    public IReadOnlyList<(bool Limit, ResourceSetting Setting)> Resources { get; init; } = [];

    /// <summary>
    /// The time zone schedules are read in: <c>TZ</c> where export ran, else UTC (as Tend reads them: see
    /// <see cref="Tend.Schedule.ZoneFromEnvironment"/>). A CronJob's <c>timeZone</c>.
    /// </summary>
    public string TimeZone { get; init; } = "Etc/UTC";

    /// <summary>
    /// The name of a service's own Kubernetes objects (its Deployment, Service, Job or CronJob): the application's name,
    /// then the service's, so two applications in one namespace never take each other's names.
    /// </summary>
    public string ObjectName(ExportedService s) => $"{AppName}-{s.Name}";

    /// <summary>The service named <paramref name="name"/>.</summary>
    public ExportedService Get(string name) => Services.First(s => s.Name == name);

    /// <summary>The services that depend on <paramref name="name"/>.</summary>
    public IEnumerable<ExportedService> Dependents(string name) => Services.Where(s => s.Spec.DependsOn.Contains(name));

    /// <summary>The services in an order where each comes after its dependencies (declaration order otherwise).</summary>
    public IReadOnlyList<ExportedService> InDependencyOrder()
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<ExportedService>();
        void Visit(ExportedService s)
        {
            if (!done.Add(s.Name)) return;
            foreach (var d in s.Spec.DependsOn) Visit(Get(d));
            order.Add(s);
        }
        foreach (var s in Services) Visit(s);
        return order;
    }

    /// <summary>
    /// Comment lines for a service whose command line names a loopback address (<c>http://127.0.0.1:8080</c>): in a
    /// container of its own that is the service itself, so an option that means another service must be given to export.
    /// </summary>
    public static IEnumerable<string> LoopbackNotes(ExportedService s, string elsewhere)
    {
        var words = s.Spec.Command.Arguments.Concat(s.Spec.Command.Environment.Values).Concat(s.Environment.Select(e => e.Value));
        foreach (var w in words.Where(NamesLoopback).Distinct(StringComparer.Ordinal))
            yield
                return $"{s.Name} is given '{w}': in {elsewhere} that is {s.Name}'s own container; if it means another service, give " +
                    $"that option to export with the other service's address";
    }

    private static bool NamesLoopback(string word) =>
        word.Contains("127.0.0.1", StringComparison.Ordinal) || word.Contains("localhost",
            StringComparison.OrdinalIgnoreCase) || word.Contains("[::1]", StringComparison.Ordinal);

    /// <summary>Comment lines that open every exported file.</summary>
    public IEnumerable<string> Header(string what, string command)
    {
        yield return $"{what}, exported by `{command}` (Tend {TendHost.Version}) from the services declared in {Image}.";
        yield return "Each service runs the same image with --orchestrated --only NAME and its options: inside, Tend is a thin PID 1";
        yield return "(it reaps, forwards signals, stops the service within its stop timeout) that never restarts it and exits";
        yield return "with its code, so the orchestrator sees every crash and does the restarting.";
        foreach (var line in NotExported)
            yield return $"Not exported: the ad-hoc command line '{line}' (declare it as a [Service] to export it).";
    }
}
