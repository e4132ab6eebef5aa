using System.ComponentModel;
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

    /// <summary>Runs Tend with only command-line services (the seed's flow): <c>tend "/usr/sbin/sshd" "/etc/init.d/apache2
    /// start"</c>.</summary>
    public static int Run(string[] args) => Run(args, []);

    /// <summary>Runs Tend with declared services plus any command-line ones.</summary>
    public static int Run(string[] args, IReadOnlyList<ServiceSpec> declared) => Run(args, declared, null);

    /// <summary>
    /// Runs Tend with declared services (already bound by the generated binder), the remaining arguments
    /// (Tend's own options and ad-hoc command lines), and what the binder knows for help and suggestions.
    /// Returns an exit code for help, the version, control requests and bad arguments; once supervision starts, it
    /// does not return: the process exits with Tend's exit code (the calling thread becomes the reaper).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int Run(string[] args, IReadOnlyList<ServiceSpec> declared, DeclaredArguments? arguments) => Run(args, () => declared,
        arguments);

    /// <summary>
    /// Runs Tend with the services the generated binder bound: their <c>Command</c> and <c>Ready</c> are evaluated
    /// once, after Tend's own options were read, and not at all for <c>--help</c> or <c>--version</c>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int Run(BoundServices bound, DeclaredArguments arguments) => Run(bound.Rest, () => bound.Services, arguments);

    /// <summary>Reads Tend's own options (what the binder left) as <see cref="Run(BoundServices, DeclaredArguments)"/> would, without
    /// running anything.</summary>
    /// <exception cref="UsageException">A bad option: the message Tend would print.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ParseOwnOptions(IReadOnlyList<string> rest, IEnumerable<string> declaredFlags) => HostOptions.Parse(rest,
        declaredFlags);

    /// <summary>The checks Tend makes on declared services before anything starts (names, dependencies, stdin), without running
    /// them.</summary>
    /// <exception cref="ArgumentException">Services Tend refuses (the message says why).</exception>
    /// <exception cref="UsageException">Services Tend refuses as bad input.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void CheckDeclared(IReadOnlyList<ServiceSpec> services) => _ = new ServiceTable(WithStdin([.. services], null));

    private static int Run(string[] args, Func<IReadOnlyList<ServiceSpec>> build, DeclaredArguments? arguments)
    {
        Posix.Spawner.CaptureLimits(); // before anything raises them: the services get the limits Tend got
        if (ControlClient.IsRequest(args)) return ControlClient.Run(args);
        // The runtime decoded argv with U+FFFD for bytes that are not UTF-8: take them back from the kernel, exact.
        args = Posix.ProcessInput.Exact(args);
        // tend export and wait-for come through the generated TendApp.Run; a program without it has nothing to export,
        // and its binary (the generic entrypoint) carries none of the export code.
        if (args.Length > 0 && args[0] == "export")
            return Fail(new
                UsageException("this program declares no services, so there is nothing to export (ad-hoc command lines are not " +
                    "exported): declare services with [Service] and run the program TendApp.Run starts"));
        HostOptions options;
        ServiceTable table;
        IReadOnlyList<string>? sockets;
        string? setUpNote;
        try
        {
            options = HostOptions.Parse(args, arguments?.Flags);
            if (options.Help)
            {
                FdWriter.Write(1, Help(arguments is null ? build() : [], arguments));
                return 0;
            }
            if (options.Version)
            {
                FdWriter.Write(1, $"tend {Version}\n");
                return 0;
            }
            // Before the services' own code runs: a second supervisor beside a running Tend is refused first.
            var socket = options.NoControl ? null : options.ControlSocket ?? ControlServer.ConfiguredPath;
            sockets = ControlSockets(socket, out var automatic);
            if (RunningTend.Refusal(options.CommandLines, sockets, automatic) is { } second)
                throw new UsageException(second);
            var declared = build();
            var adHoc = AdHoc(options, declared).ToList();
            setUpNote = SetUpNote(declared, adHoc.Count);
            var terminal = Posix.Libc.isatty(0) == 1;
            var input = terminal || StdinIsInput();
            // docker run -it IMAGE bash: with a terminal and no service asking for it, an interactive shell given as the last
            // command line reads it (any other service needs --stdin: docker run -t alone gives a terminal too). The same
            // for docker run -i IMAGE bash < script: a stdin that is a pipe or a file, not /dev/null.
            var stdin = options.Stdin ?? (input && adHoc.Count > 0 && !declared.Any(d => d.Stdin)
                && IsInteractiveShell(adHoc[^1].Command) ? adHoc[^1].Name : null);
            var services = AfterSetUp(WithStdin(WithSchedules(WithLogBuffers(WithChecks(declared.Concat(adHoc).ToList(), options.Ready,
                options.Alive), options.LogBuffers), options.Schedules, Environment.GetEnvironmentVariable("TZ")), stdin, input,
                terminal), declared.Count);
            if (options.Orchestrated) services = Orchestration.Apply(services, [.. options.Schedules.Select(s => s.Service)]);
            else ServiceSelection.RequireDependencies(services);
            if (services.Count == 0)
                throw new UsageException("nothing to supervise: give at least one command line, e.g. tend \"/usr/sbin/sshd\" " +
                    "\"/etc/init.d/apache2 start\"");
            try { table = new ServiceTable(services); }
            catch (ArgumentException e) { throw new UsageException(PlainMessage.Of(e)); }
            ProgramCheck.Verify(table.Services, ControlClient.IsVerb);
            if (socket is not null && ControlServer.PathProblem(socket) is { } problem)
                throw new UsageException(problem);
        }
        catch (UsageException e)
        {
            return Fail(e);
        }
        var log = new EventLog(options.Supervisor.LogFormat);
        if (Posix.Libc.getpid() == 1 && !options.Supervisor.KeepRun) ClearPreviousBoot(log);
        var http = options.NoHttp ? null : options.Http ?? DeclaredHttp(arguments);
        Supervisor supervisor;
        try { supervisor = new Supervisor(table, options.Supervisor with { PublishState = http is not null }, log); }
        catch (ArgumentException e) { return Fail(new UsageException(PlainMessage.Of(e))); }
        // An endpoint asked for that cannot listen ends Tend before anything starts: an orchestrator's probes would
        // otherwise fail forever against a container that looks fine.
        if (http is not null && OpenHttp(http, options.Http is not null, supervisor, log) is { } refused) return Fail(refused);
        // The command lines wait for the image's set-up tasks: say so once, or a long set-up looks like a hang.
        if (setUpNote is not null) log.Info(setUpNote);
        // Supervision gets a thread of its own and the process exits with its code; this (main) thread reaps.
        supervisor.RunAsInit(() => Environment.Exit(Supervise(supervisor, table, sockets, log)));
        throw new System.Diagnostics.UnreachableException();
    }

    /// <summary>
    /// As PID 1, before anything starts (the control socket included): a container restart is a boot, so the previous
    /// boot's pid files, lock files and @reboot markers go (<see cref="Posix.BootState"/>). One line per file removed;
    /// what could not be removed is an error line, never fatal.
    /// </summary>
    private static void ClearPreviousBoot(EventLog log)
    {
        var cleanup = Posix.BootState.ClearPreviousBoot();
        foreach (var path in cleanup.Removed)
            log.Info($"removed {path}: left by the previous boot (a container restart is a boot; --keep-run keeps /run as it is)");
        foreach (var problem in cleanup.Problems) log.Error(problem);
    }

    /// <summary>On the supervisor's thread: opens the control plane (when there is a socket) and supervises.</summary>
    private static int Supervise(Supervisor supervisor, ServiceTable table, IReadOnlyList<string>? sockets, EventLog log)
    {
        int code;
        try
        {
            var desk = sockets is null ? null : ControlDesk.Open(sockets, table, log, supervisor.Post, supervisor.Logs);
            // In a container (PID 1), docker stop kills everything after its grace period: say so before it happens.
            if (Posix.Libc.getpid() == 1 && StopBudget.Warning(table) is { } warning) log.Info(warning);
            code = supervisor.Run(desk);
        }
        catch (Exception e)
        {
            // A bug, not bad input: say so in one line rather than a runtime dump, and exit with EX_SOFTWARE.
            log.Error($"internal error, please report it: {e.GetType().Name}: {PlainMessage.Of(e)}");
            code = InternalError;
        }
        // The failed service's own last lines say why better than Tend's; Tend's when no service failed (an internal error).
        if (supervisor.Failure() is var (failed, exit, reason))
            TerminationLog.WriteMessage(TerminationLog.DefaultPath, code, () => TerminationLog.Message(code, table.Services[failed].Name,
                exit, reason,
                [.. supervisor.Logs.Last(failed, TerminationLog.MaxBytes).Select(e => e.Text)]));
        else TerminationLog.Write(TerminationLog.DefaultPath, code, log.Recent());
        // Tend's last lines are queued: written before the exit, unless the sink stopped reading.
        log.Flush(TimeSpan.FromSeconds(1));
        return code;
    }

    /// <summary>The declared endpoint's address (the generator checked it).</summary>
    private static Http.HttpAddress? DeclaredHttp(DeclaredArguments? arguments) =>
        arguments?.Http is { } declared ? Http.HttpAddress.Parse(declared, out _) : null;

    /// <summary>
    /// Opens the HTTP endpoint before anything starts; null when it listens, else the error that ends Tend (exit 2, as for
    /// bad arguments: the fix is in them): the address, why (in use, not this machine's, a port below 1024 without root)
    /// and what to do. Never a fallback to running without it: an orchestrator's HTTP probes would then fail forever.
    /// </summary>
    /// <param name="address">Where to listen.</param>
    /// <param name="given">It came from <c>--http</c>, not from <c>[assembly: HttpEndpoint]</c>.</param>
    /// <param name="supervisor">Whose state it serves.</param>
    /// <param name="log">Where the line saying where it serves goes.</param>
    private static UsageException? OpenHttp(Http.HttpAddress address, bool given, Supervisor supervisor, EventLog log)
    {
        try
        {
            var endpoint = Http.HttpEndpoint.Open(address, () => supervisor.Latest, supervisor.Logs);
            log.Info($"serving /healthz and /metrics on http://{endpoint.Address}");
            return null;
        }
        catch (IOException e)
        {
            return new UsageException($"{(given ? "option '--http'" : "the HTTP endpoint declared with [assembly: HttpEndpoint]")}: " +
                $"{PlainMessage.Of(e)}; give '--http' another ADDRESS:PORT, or '--no-http' to run without the endpoint");
        }
    }

    /// <summary>
    /// The paths the control socket may take: the one given (<c>--control-socket</c>, <c>TEND_CONTROL_SOCKET</c>), or,
    /// when the place is left to Tend (<paramref name="automatic"/>), its candidates for this user
    /// (<see cref="ControlSocketPaths"/>); null for <c>--no-control</c>.
    /// </summary>
    private static IReadOnlyList<string>? ControlSockets(string? given, out bool automatic)
    {
        automatic = given is not null && ControlServer.PathIsDefault && given == ControlServer.ConfiguredPath;
        return given is null ? null : automatic ? ControlSocketPaths.For(Posix.Libc.geteuid()) : [given];
    }

    /// <summary>Reports bad arguments on stderr, in one line that names the problem and its fix; returns the exit code for them
    /// (2).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int Fail(UsageException e)
    {
        FdWriter.Write(2, $"tend: error: {PlainMessage.Of(e)}\n");
        return UsageError;
    }

    /// <summary>Applies <c>--ready NAME=CHECK</c> and <c>--alive NAME=CHECK</c> to the services named (declared or command-line
    /// ones).</summary>
    /// <exception cref="UsageException">A name that is no service.</exception>
    internal static List<ServiceSpec> WithChecks(List<ServiceSpec> services, IReadOnlyList<(string Service, Readiness Readiness)> ready,
        IReadOnlyList<(string Service, Liveness Liveness)> alive)
    {
        int Find(string option, string name)
        {
            var i = services.FindIndex(s => s.Name == name);
            if (i < 0)
                throw new UsageException($"option '{option}' names '{name}', which is not a service here; the services " +
                    $"are: {string.Join(", ", services.Select(s => s.Name))}");
            return i;
        }
        foreach (var (name, check) in ready)
        {
            var i = Find("--ready", name);
            services[i] = services[i] with { Ready = check };
        }
        foreach (var (name, check) in alive)
        {
            var i = Find("--alive", name);
            services[i] = services[i] with { Alive = check };
        }
        return services;
    }

    /// <summary>Applies <c>--log-buffer NAME=SIZE</c> to the services named (declared or command-line ones).</summary>
    /// <exception cref="UsageException">A name that is no service.</exception>
    internal static List<ServiceSpec> WithLogBuffers(List<ServiceSpec> services, IReadOnlyList<(string Service, int Bytes)> sizes)
    {
        foreach (var (name, bytes) in sizes)
        {
            var i = services.FindIndex(s => s.Name == name);
            if (i < 0)
                throw new UsageException($"option '--log-buffer' names '{name}', which is not a service here; the services " +
                    $"are: {string.Join(", ", services.Select(s => s.Name))}");
            services[i] = services[i] with { LogBuffer = bytes };
        }
        return services;
    }

    /// <summary>
    /// Applies <c>--schedule NAME=CRON</c> to the services named (declared or command-line ones), and reads every
    /// schedule in the zone <paramref name="tz"/> names (UTC when unset: <see cref="Schedule.ZoneFromEnvironment"/>).
    /// </summary>
    /// <exception cref="UsageException">A name that is no service, or a TZ that names no zone (only when a service has a
    /// schedule).</exception>
    internal static List<ServiceSpec> WithSchedules(List<ServiceSpec> services, IReadOnlyList<(string Service,
        Schedule Schedule)> schedules, string? tz)
    {
        foreach (var (name, schedule) in schedules)
        {
            var i = services.FindIndex(s => s.Name == name);
            if (i < 0)
                throw new UsageException($"option '--schedule' names '{name}', which is not a service here; the services " +
                    $"are: {string.Join(", ", services.Select(s => s.Name))}");
            services[i] = services[i] with { Schedule = schedule };
        }
        if (!services.Any(s => s.Schedule is not null)) return services;
        TimeZoneInfo zone;
        try { zone = Schedule.ZoneFromEnvironment(tz); }
        catch (ArgumentException e) { throw new UsageException(PlainMessage.Of(e)); }
        for (var i = 0; i < services.Count; i++)
            if (services[i].Schedule is { } s) services[i] = services[i] with { Schedule = s.In(zone) };
        return services;
    }

    /// <summary>
    /// Gives service <paramref name="stdin"/> (<c>--stdin NAME</c>) the container's stdin, and checks that at most one
    /// service reads it (declared <c>Stdin = true</c> or named here): two would compete for every byte.
    /// </summary>
    /// <exception cref="UsageException">A name that is no service, or more than one service asking for stdin.</exception>
    /// <remarks>
    /// When stdin carries input (<paramref name="input"/>: a terminal, <c>docker run -it</c>, or a pipe or file,
    /// <c>docker run -i IMAGE bash &lt; script</c>; <paramref name="terminal"/>: a terminal), the service that reads it is the
    /// interactive one: it gets the terminal as its foreground (see <c>Posix/Spawner.cs</c>), and, as
    /// <c>docker run -it IMAGE bash</c> does without Tend, its end ends the container with its exit code — it is made
    /// critical and, unless its restart policy says otherwise (on-failure), never restarted.
    /// </remarks>
    internal static List<ServiceSpec> WithStdin(List<ServiceSpec> services, string? stdin, bool input = false, bool terminal = false)
    {
        if (stdin is not null)
        {
            var i = services.FindIndex(s => s.Name == stdin);
            if (i < 0)
                throw new UsageException($"option '--stdin' names '{stdin}', which is not a service here; the services " +
                    $"are: {string.Join(", ", services.Select(s => s.Name))}");
            services[i] = services[i] with { Stdin = true };
        }
        var readers = services.Where(s => s.Stdin).Select(s => s.Name).ToList();
        if (readers.Count > 1)
            throw new UsageException(DeclarationRules.StdinTwiceMessage(readers[0], readers[1]));
        if (input)
            for (var i = 0; i < services.Count; i++)
                if (services[i].Stdin && services[i].Schedule is null && !services[i].OneShot)
                {
                    services[i] = services[i] with { Critical = true,
                        Restart = services[i].Restart == Restart.OnFailure ? Restart.OnFailure : Restart.Never };
                    // An interactive shell ignores SIGTERM (bash(1), "SIGNALS"): docker stop would wait its whole timeout.
                    // SIGHUP is what a terminal's hang-up sends it: bash saves its history and exits.
                    if (terminal && services[i].StopSignal == Posix.Libc.SIGTERM)
                        services[i] = services[i] with { StopSignal = Posix.Libc.SIGHUP };
                }
        return services;
    }

    /// <summary>
    /// Tend's stdin carries input though no terminal (<c>docker run -i IMAGE bash &lt; script</c>): a pipe, a file or a
    /// socket, not /dev/null (what <c>docker run</c> without <c>-i</c> gives) nor closed. From /proc/self/fd/0 (proc(5)).
    /// </summary>
    private static bool StdinIsInput()
    {
        try { return new FileInfo("/proc/self/fd/0").LinkTarget is { } target && target != "/dev/null"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Makes every command-line service (those after the first <paramref name="declaredCount"/>) depend on the declared
    /// one-shot tasks that have no schedule: they are the image's set-up (SSH host keys made at the first start, a
    /// configuration written from options), and the command lines start once it completed, as a container's CMD runs
    /// after its entrypoint's set-up — s6-overlay's <c>cont-init.d</c> and phusion baseimage's <c>my_init.d</c> run
    /// before the services and the command for the same reason. A set-up task that fails blocks them (Tend then exits
    /// when nothing else is left to run).
    /// </summary>
    internal static List<ServiceSpec> AfterSetUp(List<ServiceSpec> services, int declaredCount)
    {
        var setUp = services.Take(declaredCount).Where(s => s.OneShot && s.Schedule is null).Select(s => s.Name).ToList();
        if (setUp.Count == 0) return services;
        for (var i = declaredCount; i < services.Count; i++)
            services[i] = services[i] with { DependsOn = [.. services[i].DependsOn, .. setUp.Where(n =>
                !services[i].DependsOn.Contains(n))] };
        return services;
    }

    /// <summary>
    /// The line that says the <paramref name="commandLines"/> command lines start after
    /// the <paramref name="declared"/> set-up tasks (<see cref="AfterSetUp"/>), or null when there is none to wait for.
    /// </summary>
    internal static string? SetUpNote(IReadOnlyList<ServiceSpec> declared, int commandLines)
    {
        var setUp = declared.Where(s => s.OneShot && s.Schedule is null).Select(s => s.Name).ToList();
        if (setUp.Count == 0 || commandLines == 0) return null;
        return $"the command lines start once the set-up task{(setUp.Count == 1 ? "" : "s")} {string.Join(", ", setUp)} " +
            $"completed (tend status shows {(setUp.Count == 1 ? "it" : "them")})";
    }

    /// <summary>The shells <c>docker run -it IMAGE SHELL</c> is typed with (the basename of the command).</summary>
    private static readonly string[] Shells = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "tcsh", "csh", "busybox"];

    /// <summary>A shell run to be typed at: a known shell with options only (<c>bash</c>, <c>bash --norc</c>, <c>sh -l</c>), no <c>-c</c>
    /// and no script.</summary>
    internal static bool IsInteractiveShell(Command command) =>
        Shells.Contains(command.BaseName) && command.Arguments.All(a => a.StartsWith('-') && a != "-c");

    /// <summary>One service per command line, named after the command's basename (made unique with -2, -3…).</summary>
    internal static IEnumerable<ServiceSpec> AdHoc(HostOptions options, IReadOnlyList<ServiceSpec> declared)
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
        typeof(TendHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? "0.0.0";

    /// <summary>The lines of <c>--help</c> that list Tend's own options (the README's option list is these lines).</summary>
    internal static IEnumerable<string> OptionLines() =>
        HostOptions.Options.Select(o => $"  {(o.Value is null ? o.Name : o.Name + " " + o.Value),-40} {o.Help}");

    private static string Help(IReadOnlyList<ServiceSpec> declared, DeclaredArguments? arguments)
    {
        var sb = new StringBuilder();
        sb.Append("Usage: tend [options] [--] [command line]...\n\n");
        sb.Append("Keeps each command line running as a service: restarts it when it dies, reaps zombies,\n");
        sb.Append($"forwards {string.Join('/', TendSignals.Forwarded.Where(s => s != Posix.Libc.SIGWINCH).Select(Signals.Name))} " +
            "(SIGWINCH: to the terminal's service alone), stops everything on SIGTERM/SIGINT.\n");
        sb.Append("Each argument is one command line, split like a shell splits words, never run through a shell.\n\n");
        if (arguments is not null) sb.Append(arguments.Help()).Append('\n');
        else if (declared.Count > 0)
        {
            sb.Append("Services:\n");
            foreach (var d in declared) sb.Append($"  {d.Name,-24} {d.Command}\n");
            sb.Append('\n');
        }
        sb.Append("Options:\n");
        foreach (var line in OptionLines()) sb.Append(line).Append('\n');
        sb.Append("\nExit codes: 0 after a requested stop; when a critical service fails for good, its own exit code\n");
        sb.Append($"({Signals.ShellCodeRule}, 1 if it never ran); 1 when every service ended and one failed; 2 for bad arguments.\n");
        sb.Append("\nExample: tend \"/usr/sbin/sshd\" \"/etc/init.d/apache2 start\"\n\n");
        sb.Append(ControlClient.Usage);
        if (arguments is not null) sb.Append('\n').Append(ExportCommand.Usage);
        return sb.ToString();
    }
}
