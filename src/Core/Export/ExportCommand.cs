using System.Text;
using Tend.Arguments;
using Tend.Logging;

namespace Tend.Export;

/// <summary>
/// <c>tend export compose|kubernetes --image IMAGE[:TAG] [--layout pod|split] [--name NAME] [declared options]</c>:
/// prints the declared services as a Docker Compose file or Kubernetes manifests on stdout, each service a container
/// of the same image. Declared options (and <c>TEND_*</c> variables) are bound as for a run, so a bad value is refused
/// the same way, and carried into the service's own container; <c>--only</c>/<c>--without</c> select. Runs as a client
/// (never as the supervisor), so the supervisor pays nothing for it but the code's bytes.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ExportCommand
{
    /// <summary>The verb.</summary>
    public const string Verb = "export";

    /// <summary>For <c>--help</c>.</summary>
    /// <remarks>The flags' lines come from the tables the parsers read (<see cref="ExportRequest.Flags"/>,
    /// <see cref="WaitFor.Flags"/>).</remarks>
    public static readonly string Usage =
        "Export the declared services for an orchestrator (YAML on stdout; a container per service, same image):\n" +
        "  tend export compose --image IMAGE[:TAG] [--target compose|swarm] [declared options] [--only NAME,…] [--without NAME,…]\n" +
        "  tend export kubernetes --image IMAGE[:TAG] [--layout pod|split] [--name NAME] [declared options] …\n" +
        string.Concat(ExportRequest.Flags.Select(f => "  " + f.HelpLine(38) + "\n")) +
        "  tend " + WaitFor.Usage
            + "\n      wait until each address answers, then run PROGRAM (exported init containers and Swarm entrypoints)\n" +
        string.Concat(WaitFor.Flags.Select(f => "  " + f.HelpLine(38) + "\n"));

    /// <summary>Whether the arguments ask for <c>export</c> or <c>wait-for</c>.</summary>
    public static bool IsRequest(IReadOnlyList<string> args) => args.Count > 0 && args[0] is Verb or WaitFor.Verb;

    /// <summary>
    /// From the generated <c>TendApp.Run</c>: binds <paramref name="args"/> with the generated binder, finds which
    /// arguments set which service's options, and writes the export. Returns the exit code (2 for bad arguments).
    /// </summary>
    /// <param name="args">The program's arguments, <c>export …</c> or <c>wait-for …</c>.</param>
    /// <param name="bind">The generated binder (<c>TendApp.Bind</c>).</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="serviceNames">Every declared service's name (<c>TendApp.ServiceNames</c>).</param>
    /// <param name="flags">Every flag the binder understands (<c>TendApp.Flags</c>).</param>
    /// <param name="http">The HTTP endpoint's address declared with <c>[assembly: HttpEndpoint]</c>, or null: its port is the probes'
    /// unless <c>--http</c> is given.</param>
    public static int Run(string[] args, Func<string[], Func<string, string?>, BoundServices> bind, Func<string, string?> environment,
        IReadOnlyList<string> serviceNames, IReadOnlyList<string> flags, string? http = null)
    {
        if (args[0] == WaitFor.Verb) return WaitFor.Run(args[1..]);
        try
        {
            var bound = bind(args, environment);
            var request = ExportRequest.Parse(bound.Rest, flags);
            if (request.Help) return Help();
            var given = DeclaredOptions.Split(args, a => bind(a, _ => null), serviceNames, flags);
            var services = bound.Services.Select(s =>
            {
                var options = given[s.Name];
                var env = new List<KeyValuePair<string, string>>();
                foreach (var flag in flags.Where(f => DeclaredOptions.Owners(f, [s.Name]).Any()))
                {
                    if (options.Any(o => o == flag || o.StartsWith(flag + "=", StringComparison.Ordinal))) continue;
                    var name = DeclaredOptions.EnvironmentName(flag);
                    if (environment(name) is { } value) env.Add(new(name, value));
                }
                return new ExportedService(s, options, env);
            }).ToList();
            if (request.HttpPort is null && http is not null && Http.HttpAddress.Parse(http, out _) is { Port: > 0 } declared)
                request = request with { HttpPort = declared.Port };
            return Write(request, services, environment("TZ"));
        }
        catch (UsageException e) { return TendHost.Fail(e); }
    }

    private static int Help()
    {
        FdWriter.Write(1, Usage);
        return 0;
    }

    private static int Write(ExportRequest request, List<ExportedService> services, string? timeZone)
    {
        foreach (var line in request.CommandLines)
            FdWriter.Write(2, $"tend: note: the ad-hoc command line '{line}' is not exported: declare it as a [Service] to export it\n");
        if (services.Count == 0)
            throw new UsageException("there are no declared services to export (ad-hoc command lines are not exported): declare services " +
                "with [Service], or select some with --only/--without");
        var names = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var s in services)
            foreach (var d in s.Spec.DependsOn)
                if (!names.Contains(d))
                    throw new UsageException($"service '{s.Name}' depends on '{d}', which --only/--without leaves out of the export: " +
                        $"keep both or neither");
        foreach (var (limit, setting) in request.Resources)
            if (setting.Service is { } name && !names.Contains(name))
                throw new UsageException($"option '{(limit ? "--limits" : "--requests")}' names '{name}', which is not an exported " +
                    $"service; the services are: {string.Join(", ", names)}");
        var plan = new ExportPlan(request.Image, request.AppName, services, request.CommandLines)
        {
            Target = request.Target,
            ReadOnly = request.ReadOnly,
            NoSidecars = request.NoSidecars,
            DrainDelay = request.DrainDelay,
            HttpPort = request.HttpPort,
            RunAsUser = request.RunAsUser,
            Resources = request.Resources,
            TimeZone = timeZone is { Length: > 0 } tz ? tz.TrimStart(':') : "Etc/UTC",
        };
        var text = request.Format == ExportFormat.Compose
            ? ComposeFile.Write(plan, request.Describe())
            : KubernetesManifests.Write(plan, request.Layout, request.Describe());
        FdWriter.Write(1, text);
        return 0;
    }
}
