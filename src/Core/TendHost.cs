using System.Reflection;
using System.Text;
using Tend.Arguments;
using Tend.Logging;
using Tend.Supervision;

namespace Tend;

/// <summary>The entry point: parses the arguments, builds the service table and runs the supervisor.</summary>
public static class TendHost
{
    /// <summary>Exit code for bad arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Runs Tend with only command-line services (the seed's flow): <c>tend "/usr/sbin/sshd" "/etc/init.d/apache2 start"</c>.</summary>
    public static int Run(string[] args) => Run(args, []);

    /// <summary>Runs Tend with declared services plus any command-line ones.</summary>
    public static int Run(string[] args, IReadOnlyList<ServiceSpec> declared)
    {
        HostOptions options;
        ServiceTable table;
        try
        {
            options = HostOptions.Parse(args);
            if (options.Help)
            {
                FdWriter.Write(1, Help(declared));
                return 0;
            }
            if (options.Version)
            {
                FdWriter.Write(1, $"tend {Version}\n");
                return 0;
            }
            var services = declared.Concat(AdHoc(options, declared)).ToList();
            if (services.Count == 0)
                throw new UsageException("nothing to supervise: give at least one command line, e.g. tend \"/usr/sbin/sshd\" \"/etc/init.d/apache2 start\"");
            try { table = new ServiceTable(services); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
        }
        catch (UsageException e)
        {
            FdWriter.Write(2, $"tend: error: {e.Message}\nRun 'tend --help' for usage.\n");
            return UsageError;
        }
        var log = new EventLog(options.Supervisor.LogFormat);
        return new Supervisor(table, options.Supervisor, log).Run();
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
                Critical = options.Critical,
            };
        }
    }

    /// <summary>The informational version of the Tend assembly.</summary>
    public static string Version =>
        typeof(TendHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static string Help(IReadOnlyList<ServiceSpec> declared)
    {
        var sb = new StringBuilder();
        sb.Append("Usage: tend [options] [--] [command line]...\n\n");
        sb.Append("Keeps each command line running as a service: restarts it when it dies, reaps zombies,\n");
        sb.Append("forwards SIGHUP/SIGUSR1/SIGUSR2/SIGWINCH and stops everything cleanly on SIGTERM/SIGINT.\n");
        sb.Append("Each argument is one command line, split like a shell splits words, never run through a shell.\n\n");
        if (declared.Count > 0)
        {
            sb.Append("Services:\n");
            foreach (var d in declared) sb.Append($"  {d.Name,-24} {d.Command}\n");
            sb.Append('\n');
        }
        sb.Append("Options:\n");
        foreach (var (name, value, help) in HostOptions.Options)
            sb.Append($"  {(value is null ? name : name + " " + value),-40} {help}\n");
        sb.Append("\nExample: tend \"/usr/sbin/sshd\" \"/etc/init.d/apache2 start\"\n");
        return sb.ToString();
    }
}
