using System.Reflection;
using System.Text;
using Tend.Arguments;
using Tend.Control;
using Tend.Export;
using Tend.Logging;
using Tend.Supervision;

namespace Tend;

/// <summary>The entry point: parses the arguments, builds the service table and runs the supervisor.</summary>
public static class TendHost
{
    /// <summary>Exit code for bad arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for an internal error (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>Runs Tend with only command-line services (the seed's flow): <c>tend "/usr/sbin/sshd" "/etc/init.d/apache2 start"</c>.</summary>
    public static int Run(string[] args) => Run(args, []);

    /// <summary>Runs Tend with declared services plus any command-line ones.</summary>
    public static int Run(string[] args, IReadOnlyList<ServiceSpec> declared) => Run(args, declared, null);

    /// <summary>
    /// Runs Tend with declared services (already bound by the generated binder), the remaining arguments
    /// (Tend's own options and ad-hoc command lines), and what the binder knows for help and suggestions.
    /// Returns an exit code for help, the version, control requests and bad arguments; once supervision starts, it
    /// does not return: the process exits with Tend's exit code (the calling thread becomes the reaper).
    /// </summary>
    public static int Run(string[] args, IReadOnlyList<ServiceSpec> declared, DeclaredArguments? arguments)
    {
        if (ControlClient.IsRequest(args)) return ControlClient.Run(args);
        // tend export and wait-for come through the generated TendApp.Run; a program without it has nothing to export,
        // and its binary (the generic entrypoint) carries none of the export code.
        if (args.Length > 0 && args[0] == "export")
            return Fail(new UsageException("this program declares no services, so there is nothing to export (ad-hoc command lines are not exported): declare services with [Service] and run the program TendApp.Run starts"));
        HostOptions options;
        ServiceTable table;
        try
        {
            options = HostOptions.Parse(args, arguments?.Flags);
            if (options.Help)
            {
                FdWriter.Write(1, Help(declared, arguments));
                return 0;
            }
            if (options.Version)
            {
                FdWriter.Write(1, $"tend {Version}\n");
                return 0;
            }
            var services = Orchestration.Apply(WithReadiness(declared.Concat(AdHoc(options, declared)).ToList(), options.Ready), options.Orchestrated);
            if (services.Count == 0)
                throw new UsageException("nothing to supervise: give at least one command line, e.g. tend \"/usr/sbin/sshd\" \"/etc/init.d/apache2 start\"");
            try { table = new ServiceTable(services); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            ProgramCheck.Verify(table.Services);
            if (options.ControlSocket is { } socket && ControlServer.PathProblem(socket) is { } problem)
                throw new UsageException(problem);
        }
        catch (UsageException e)
        {
            return Fail(e);
        }
        var log = new EventLog(options.Supervisor.LogFormat);
        Supervisor supervisor;
        try { supervisor = new Supervisor(table, options.Supervisor, log); }
        catch (ArgumentException e) { return Fail(new UsageException(e.Message)); }
        // Supervision gets a thread of its own and the process exits with its code; this (main) thread reaps.
        supervisor.RunAsInit(() => Environment.Exit(Supervise(supervisor, table, options.ControlSocket, log)));
        throw new System.Diagnostics.UnreachableException();
    }

    /// <summary>On the supervisor's thread: opens the control plane (when there is a socket) and supervises.</summary>
    private static int Supervise(Supervisor supervisor, ServiceTable table, string? controlSocket, EventLog log)
    {
        try
        {
            var desk = controlSocket is null ? null : ControlDesk.Open(controlSocket, table, log, supervisor.Post);
            return supervisor.Run(desk);
        }
        catch (Exception e)
        {
            // A bug, not bad input: say so in one line rather than a runtime dump, and exit with EX_SOFTWARE.
            log.Error($"internal error, please report it: {e.GetType().Name}: {e.Message}");
            return InternalError;
        }
    }

    /// <summary>Reports bad arguments on stderr, in one line that names the problem and its fix; returns the exit code for them (2).</summary>
    public static int Fail(UsageException e)
    {
        FdWriter.Write(2, $"tend: error: {e.Message}\n");
        return UsageError;
    }

    /// <summary>Applies <c>--only</c> and <c>--without</c> (comma-separated service names) to the declared services.</summary>
    /// <exception cref="UsageException">An unknown name.</exception>
    public static IReadOnlyList<ServiceSpec> Select(IReadOnlyList<ServiceSpec> declared, IReadOnlyList<string> only, IReadOnlyList<string> without)
    {
        var names = declared.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (flag, list) in new[] { ("--only", only), ("--without", without) })
            foreach (var n in list)
                if (!names.Contains(n))
                    throw new UsageException($"option '{flag}' names '{n}', which is not a service here; the services are: {string.Join(", ", names)}");
        // A kept service that depends on a left-out one is refused by Run, unless --orchestrated (Export/Orchestration.cs).
        return declared.Where(d => (only.Count == 0 || only.Contains(d.Name)) && !without.Contains(d.Name)).ToList();
    }

    /// <summary>Applies <c>--ready NAME=CHECK</c> to the services named (declared or command-line ones).</summary>
    /// <exception cref="UsageException">A name that is no service.</exception>
    public static List<ServiceSpec> WithReadiness(List<ServiceSpec> services, IReadOnlyList<(string Service, Readiness Check)> ready)
    {
        foreach (var (name, check) in ready)
        {
            var i = services.FindIndex(s => s.Name == name);
            if (i < 0)
                throw new UsageException($"option '--ready' names '{name}', which is not a service here; the services are: {string.Join(", ", services.Select(s => s.Name))}");
            services[i] = services[i] with { Ready = check };
        }
        return services;
    }

    /// <summary>One service per command line, named after the command's basename (made unique with -2, -3…).</summary>
    public static IEnumerable<ServiceSpec> AdHoc(HostOptions options, IReadOnlyList<ServiceSpec> declared)
    {
        var names = new HashSet<string>(declared.Select(d => d.Name), StringComparer.Ordinal);
        foreach (var line in options.CommandLines)
        {
            var command = Command.Parse(line);
            var name = command.BaseName;
            for (var n = 2; !names.Add(name); n++) name = $"{command.BaseName}-{n}";
            yield return new ServiceSpec(name, command)
            {
                Restart = options.Restart,
                StopTimeout = options.StopTimeout,
                CleanupTimeout = options.CleanupTimeout,
                KillMode = options.KillMode,
                Critical = options.Critical,
            };
        }
    }

    /// <summary>The informational version of the Tend assembly.</summary>
    public static string Version =>
        typeof(TendHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The lines of <c>--help</c> that list Tend's own options (the README's option list is these lines).</summary>
    internal static IEnumerable<string> OptionLines() =>
        HostOptions.Options.Select(o => $"  {(o.Value is null ? o.Name : o.Name + " " + o.Value),-40} {o.Help}");

    private static string Help(IReadOnlyList<ServiceSpec> declared, DeclaredArguments? arguments)
    {
        var sb = new StringBuilder();
        sb.Append("Usage: tend [options] [--] [command line]...\n\n");
        sb.Append("Keeps each command line running as a service: restarts it when it dies, reaps zombies,\n");
        sb.Append("forwards SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH and stops everything cleanly on SIGTERM/SIGINT.\n");
        sb.Append("Each argument is one command line, split like a shell splits words, never run through a shell.\n\n");
        if (arguments is not null) sb.Append(arguments.Help).Append('\n');
        else if (declared.Count > 0)
        {
            sb.Append("Services:\n");
            foreach (var d in declared) sb.Append($"  {d.Name,-24} {d.Command}\n");
            sb.Append('\n');
        }
        sb.Append("Options:\n");
        foreach (var line in OptionLines()) sb.Append(line).Append('\n');
        sb.Append("\nExample: tend \"/usr/sbin/sshd\" \"/etc/init.d/apache2 start\"\n\n");
        sb.Append(ControlClient.Usage);
        if (arguments is not null) sb.Append('\n').Append(ExportCommand.Usage);
        return sb.ToString();
    }
}
