namespace Tend.Control;

/// <summary>The verb table: the one home of the control verbs' names, arguments and usage, for the server's parser, the client and
/// <c>--help</c>.</summary>
internal static class ControlVerbs
{
    /// <summary>Every verb, in the order <c>--help</c> lists them.</summary>
    public static readonly IReadOnlyList<ControlVerbInfo> All =
    [
        new(ControlVerb.Status, "status", 1, 2, "status [NAME] [--watch]", "status [NAME] [--json] [--watch]",
            "every service: state, pid, uptime, restarts, last exit; --watch: again at each change", false),
        new(ControlVerb.Start, "start", 2, 3, "start NAME [TIMEOUT]", "start NAME [--timeout D]",
            "start a stopped or failed service; returns once it is ready", true),
        new(ControlVerb.Stop, "stop", 2, 3, "stop NAME [TIMEOUT]", "stop NAME [--timeout D]",
            "stop a service; it stays stopped until started", true),
        new(ControlVerb.Restart, "restart", 2, 3, "restart NAME [TIMEOUT]", "restart NAME [--timeout D]",
            "stop it, start it again; returns once the new run is ready", true),
        new(ControlVerb.Signal, "signal", 3, 3, "signal NAME SIGNAL", "signal NAME SIGNAL",
            "send a signal (HUP, SIGUSR1, 10…) to the service's process group", false),
        new(ControlVerb.Health, "health", 1, 1, "health", "health",
            "exit 0 when every service is up (running and ready, or completed), else 1", false),
        new(ControlVerb.Wait, "wait", 2, 3, "wait NAME [TIMEOUT]", "wait NAME [--timeout D]",
            "wait until the service is ready (default timeout 30s)", true),
        new(ControlVerb.Run, "run", 2, 2, "run NAME", "run NAME", "start one run of a scheduled task now; returns once it started", false),
        new(ControlVerb.Logs, "logs", 1, 64, "logs [-f] [-n LINES] [--since DURATION] [NAME]…",
            "logs [NAME…] [-f] [-n N] [--since D] [--json]",
            "recent output of the services (all by default), kept across runs; -f follows", false),
    ];

    /// <summary>The verbs' names, for messages: <c>status, start, …</c>.</summary>
    public static readonly string Names = string.Join(", ", All.Select(v => v.Name));

    /// <summary>The verb named <paramref name="name"/>, or null.</summary>
    public static ControlVerbInfo? Find(string name)
    {
        foreach (var v in All) if (v.Name == name) return v;
        return null;
    }

    /// <summary>The entry of <paramref name="verb"/>.</summary>
    public static ControlVerbInfo Of(ControlVerb verb) => All.First(v => v.Verb == verb);
}
