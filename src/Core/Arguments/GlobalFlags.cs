namespace Tend.Arguments;

/// <summary>
/// Tend's own flags: the table <see cref="HostOptions"/> parses with and prints as <c>--help</c> (and the README's
/// option list, checked by a test). Shared as source with the generator, which refuses a declared option that would
/// bind to one of them (TEND009).
/// </summary>
internal static class GlobalFlags
{
    public static readonly FlagSpec[] Rows =
    [
        FlagSpec.Switch("--log-prefix", "prefix every line a service prints with its name (default: services write straight " +
            "to stdout/stderr)"),
        FlagSpec.Valued("--log-buffer", "[NAME=]SIZE", "how much of each service's recent output 'tend logs' keeps (default: " +
            "64KiB per service); NAME=SIZE for one service (repeatable); 0: none kept, the services write straight to " +
            "stdout/stderr", repeatable: true),
        FlagSpec.Valued("--log-format", "text|json", "format of Tend's own lines on stderr (default: text)"),
        FlagSpec.Valued("--scan-interval", "DURATION", "how often /proc is checked for processes Tend did not start (default: 1s)"),
        FlagSpec.Valued("--stop-timeout", "DURATION", "for command-line services: time between the stop signal and SIGKILL " +
            "(default: " + ServiceDefaults.StopTimeout + ")"),
        FlagSpec.Valued("--cleanup-timeout", "DURATION", "for command-line services: after the main process died, time its " +
            "group's leftovers get before SIGKILL (default: " + ServiceDefaults.CleanupTimeout + ")"),
        FlagSpec.Valued("--kill-mode", "MODE", "for command-line services: which processes a stop reaches: lineage (default: " +
            "every process of its start-up), control-group, mixed or process"),
        FlagSpec.Valued("--restart", "always|on-failure|never", "for command-line services: when to restart (default: always)"),
        FlagSpec.Switch("--critical", "for command-line services: one that fails for good stops everything; Tend exits with " +
            "its exit code (" + Signals.ShellCodeRule + ", 1 if it never ran)"),
        FlagSpec.Valued("--stdin", "NAME", "service NAME reads the container's stdin (default: every service gets " +
            "/dev/null); at most one service"),
        FlagSpec.Switch("--adopt", "not PID 1: adopt a process of a service's name that already runs instead of starting " +
            "another (PID 1 does by default)"),
        FlagSpec.Switch("--no-adopt", "start every service even when a process of its name already runs"),
        FlagSpec.Switch("--keep-run", "as PID 1: leave /run as it is (default: first remove the previous boot's pid files, " +
            "lock files and cron @reboot markers, as a container restart is a boot)"),
        FlagSpec.Valued("--ready", "NAME=CHECK", "when service NAME counts as ready: tcp:PORT, tcp:ADDRESS:PORT, " +
            "http:PORT[/PATH], http://ADDRESS:PORT/PATH, file:PATH, cmd:COMMAND, log:REGEX (a line of its output matches) or " +
            "notify (READY=1 on $NOTIFY_SOCKET, sd_notify) (repeatable)", repeatable: true),
        FlagSpec.Valued("--ready-interval", "DURATION",
            "for --ready checks: time between attempts (default: " + ServiceDefaults.ReadyInterval + ")"),
        FlagSpec.Valued("--ready-timeout", "DURATION",
            "for --ready checks: how long one attempt may take (default: " + ServiceDefaults.CheckTimeout + ")"),
        FlagSpec.Valued("--alive", "NAME=CHECK", "when service NAME counts as alive, checked once it is ready; the kinds of " +
            "--ready but log: and notify, or watchdog:DURATION (WATCHDOG=1 on $NOTIFY_SOCKET at least that often; --alive-* do " +
            "not apply) (repeatable)", repeatable: true),
        FlagSpec.Valued("--alive-interval", "DURATION",
            "for --alive checks: time between checks (default: " + ServiceDefaults.AliveInterval + ")"),
        FlagSpec.Valued("--alive-timeout", "DURATION",
            "for --alive checks: how long one check may take (default: " + ServiceDefaults.CheckTimeout + ")"),
        FlagSpec.Valued("--alive-failures", "N", "for --alive checks: failures in a row after which the service is restarted " +
            "as unhealthy (default: " + ServiceDefaults.AliveFailures + ")"),
        FlagSpec.Valued("--schedule", "NAME=CRON", "run service NAME as a task at each due time instead of keeping it " +
            "running: 5 cron fields, 6 with seconds first, or @hourly, @daily… (in $TZ, else UTC; repeatable)", repeatable: true),
        FlagSpec.Valued("--control-socket", "PATH", "the control socket for 'tend status' and the other verbs (default: " +
            "$" + ControlSocketDefaults.Variable + ", else " + ControlSocketDefaults.Path + " as root; other users: docs/control.md)"),
        FlagSpec.Switch("--no-control", "no control socket"),
        FlagSpec.Valued("--http", "ADDRESS:PORT", "serve /healthz and /metrics over HTTP there, read-only (e.g. 127.0.0.1:9100; " +
            "default: off, or the address declared with [assembly: HttpEndpoint])"),
        FlagSpec.Switch("--no-http", "no HTTP endpoint, even when one is declared"),
        FlagSpec.Switch("--orchestrated", "an orchestrator runs this container (tend export): no restarts, exit with the " +
            "service's code; dependencies --only leaves out are the orchestrator's"),
        FlagSpec.Valued("--drain-delay", "DURATION", "at the first SIGTERM, report not ready and wait this long before stopping " +
            "(while an orchestrator removes the endpoints; default: stop at once)"),
        FlagSpec.Valued("--only", "NAME,…", "run only these declared services"),
        FlagSpec.Valued("--without", "NAME,…", "run the declared services but these"),
        FlagSpec.Switch("--help", "show this help"),
        FlagSpec.Switch("--version", "show Tend's version"),
    ];

    public static readonly string[] Names = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(Rows, r => r.Name));
}
