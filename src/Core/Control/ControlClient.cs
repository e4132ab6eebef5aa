using Tend.Arguments;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>
/// <c>tend VERB</c> (the verbs of <see cref="ControlVerbs"/>): the client side of the control socket, in the same binary
/// as the supervisor (in an image, <c>tend</c> on PATH is the app). It is a separate process, so it may use what
/// the supervisor must not.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ControlClient
{
    /// <summary>The arguments ask for a control verb (a command line named like a verb goes after <c>--</c>).</summary>
    public static bool IsRequest(IReadOnlyList<string> args) => args.Count > 0 && IsVerb(args[0]);

    /// <summary>Whether <paramref name="word"/> is a control verb (<c>status</c>, <c>stop</c>…).</summary>
    public static bool IsVerb(string word) => ControlVerbs.Find(word) is not null;

    /// <summary>The control verbs, for <c>--help</c> (from <see cref="ControlVerbs"/>).</summary>
    public static readonly string Usage =
        "Control a running Tend (as root or as Tend's own user, e.g. docker exec CONTAINER tend status):\n" +
        string.Concat(ControlVerbs.All.Select(v => $"  {"tend " + v.ClientUsage,-34} {v.Help}\n")) +
        "  Each takes --control-socket PATH (default $" + ControlSocketDefaults.Variable + ", else where Tend put it: docs/control.md).\n" +
        "  (To supervise a command named like a verb, put it after --: tend -- status.)\n";

    /// <summary>The flags of a control verb: every verb takes --control-socket and --help; status --json; the waiting verbs
    /// --timeout.</summary>
    internal static FlagSpec[] Flags(ControlVerbInfo verb) =>
    [
        FlagSpec.Valued("--control-socket", "PATH",
            "the control socket (default $" + ControlSocketDefaults.Variable + ", else " + ControlSocketDefaults.Path + ")"),
        FlagSpec.Switch("--help", "show the control verbs"),
        .. verb.Verb == ControlVerb.Status ? [FlagSpec.Switch("--json", "one JSON object per service"), FlagSpec.Switch("--watch",
            "show the table again at every change, until interrupted")] : Array.Empty<FlagSpec>(),
        .. verb.Verb == ControlVerb.Logs ? LogFlags : Array.Empty<FlagSpec>(),
        .. verb.TakesTimeout ? [FlagSpec.Valued("--timeout", "DURATION", "how long to wait for the service")] : Array.Empty<FlagSpec>(),
    ];

    private static readonly FlagSpec[] LogFlags =
    [
        FlagSpec.Switch("-f", "follow: show what the services write from now on, until interrupted"),
        FlagSpec.Switch("--follow", "the same as -f"),
        FlagSpec.Valued("-n", "LINES", "only the last LINES lines kept of each service (default: all)"),
        FlagSpec.Valued("--lines", "LINES", "the same as -n"),
        FlagSpec.Valued("--since", "DURATION", "only lines written within DURATION (e.g. 10m)"),
        FlagSpec.Switch("--json", "one JSON object per line: service, time, stream, run, text"),
    ];

    /// <summary>Runs one verb; returns the exit code: 0 done (healthy), 1 refused, failed or unhealthy, 2 bad request.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var json = false;
        var (watch, follow, lines, since) = (false, false, (int?)null, (TimeSpan?)null);
        string? socket = null;
        TimeSpan? timeout = null;
        var verbInfo = ControlVerbs.Find(args[0])!;
        try
        {
            var reader = new ArgumentReader(args, Flags(verbInfo), start: 1);
            bool Unknown(string flag, string? inline) => throw new UsageException($"'tend {args[0]}' has no option '{flag}'");
            positional.Add(args[0]);
            while (reader.Next(out var known, out var value, Unknown))
            {
                switch (known?.Name)
                {
                    case null: positional.Add(value); break;
                    case "--help":
                        if (value == "true")
                        {
                            FdWriter.Write(1, Usage);
                            return 0;
                        }
                        break;
                    case "--json": json = value == "true"; break;
                    case "--watch": watch = value == "true"; break;
                    case "-f" or "--follow": follow |= value == "true"; break;
                    case "-n" or "--lines":
                        if (lines is not null) throw new UsageException("give the number of lines once (-n or --lines)");
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture,
                            out var n))
                            throw new UsageException($"option '{known.Name}' got '{value}': expected a whole number of lines, such as 20");
                        lines = n;
                        break;
                    case "--since":
                        if (!Duration.TryParse(value,
                            out var d)
                            || d <=
                            TimeSpan.Zero)
                            throw new UsageException($"option '--since' got '{value}': expected {Duration.Expected}, more than zero");
                        since = d;
                        break;
                    case "--control-socket": socket = value; break;
                    case "--timeout":
                        if (!Duration.TryParse(value,
                            out var t)
                            || t <=
                            TimeSpan.Zero)
                            throw new UsageException($"option '--timeout' got '{value}': expected {Duration.Expected}, more than zero");
                        timeout = t;
                        break;
                }
            }
            positional.AddRange(reader.AfterDashes);
        }
        catch (UsageException e)
        {
            return FailUsage(PlainMessage.Of(e), args[0]);
        }

        var verb = positional[0];
        var info = ControlVerbs.Find(verb)!;
        foreach (var p in positional)
            if (p.Length == 0 || p.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                return FailUsage($"'{p}' is not a service name", verb);
        var socketPath = socket ?? (ControlServer.PathIsDefault ? ControlSocketPaths.Find() : ControlServer.ConfiguredPath);
        if (verb == "logs")
        {
            if (positional.Count > info.MaxWords) return FailUsage($"'tend logs' takes at most {info.MaxWords - 1} service names", verb);
            var request = new ControlRequest(ControlVerb.Logs) { Services = positional[1..], Follow = follow, Lines = lines,
                Since = since };
            return StreamLines(socketPath, request, follow, json, LogLine);
        }
        if (watch)
        {
            if (positional.Count > info.MaxWords) return FailUsage("'tend status' takes at most one service name", verb);
            var request = new ControlRequest(ControlVerb.Status, positional.Count > 1 ? positional[1] : null) { Watch = true };
            var terminal = Libc.isatty(1) == 1;
            return StreamLines(socketPath, request, true, json, (root, _) => WatchedTable(root, json, terminal));
        }
        // The client's timeout is an option, not a word.
        if (positional.Count < info.MinWords || positional.Count > (info.TakesTimeout ? info.MaxWords - 1 : info.MaxWords))
            return FailUsage(verb switch
            {
                "status" => "'tend status' takes at most one service name",
                "health" => "'tend health' takes no arguments",
                "signal" => "usage: tend signal NAME SIGNAL, e.g. tend signal web HUP",
                _ => $"usage: tend {verb} NAME",
            }, verb);
        if (verb == "signal" && !Signals.TryParse(positional[2], out _))
            return FailUsage($"'{positional[2]}' is not a signal: expected {Signals.Expected}", verb);

        var line = new StringBuilder(string.Join(' ', positional));
        if (timeout is { } to) line.Append(' ').Append(Duration.Format(to));
        line.Append('\n');

        var path = socketPath;
        string reply;
        try
        {
            reply = Exchange(path, line.ToString(), (timeout ?? TimeSpan.FromSeconds(60)) + TimeSpan.FromSeconds(40));
        }
        catch (Sockets.SocketFailure e)
        {
            return CannotTalk(path, e, verb, socket);
        }
        return Answer(reply, json, verb);
    }

    /// <summary>Says why Tend could not be reached at <paramref name="path"/>; another uid is told whose Tend it is. Returns 1.</summary>
    private static int CannotTalk(string path, Sockets.SocketFailure e, string verb = "status", string? socket = null)
    {
        // Another uid cannot reach (or even find) the socket of a Tend that runs as a user: say whose it is.
        var owner = e.Errno is Libc.EACCES or Libc.EPERM or Libc.ENOENT && Libc.geteuid() != 0 && socket is null
            && RunningTend.Pid1TendUid() is { } uid && uid != Libc.geteuid() ? uid : (uint?)null;
        var why = owner is { } u
            ? $"a Tend runs in this container as uid {u} (PID 1), and only root and uid {u} may talk to it: run as one of them " +
                $"(docker exec -u {u} CONTAINER tend {verb} …)"
            : e.Errno switch
            {
                Libc.EACCES or Libc.EPERM => $"permission denied on {path}: the control socket serves root and the user Tend runs as " +
                    "only; run as one of them (docker exec -u root CONTAINER tend …)",
                Libc.ENOENT => $"no control socket at {path}: is Tend running in this container? (if it uses another path, give " +
                    $"--control-socket or set {ControlServer.PathVariable})",
                Libc.ECONNREFUSED => $"nothing listens on {path} (left by a Tend that is gone)",
                Libc.EAGAIN => "Tend did not answer in time",
                _ => $"cannot talk to Tend on {path}: {PlainMessage.Of(e)}",
            };
        FdWriter.Write(2, $"tend: error: {why}\n");
        return 1;
    }

    private static int Answer(string reply, bool json, string verb)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(reply);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            FdWriter.Write(2, $"tend: error: Tend sent a reply that is not JSON: {reply.Trim()}\n");
            return 1;
        }
        if (!root.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
        {
            var code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 1;
            var error = root.TryGetProperty("error", out var m) ? m.GetString() : reply.Trim();
            FdWriter.Write(2, $"tend: error: {error}\n");
            return code is 1 or 2 ? code : 1;
        }
        if (json)
        {
            FdWriter.Write(1, reply.TrimEnd('\n') + "\n");
            return 0;
        }
        if (verb == "status") FdWriter.Write(1, Table(root.GetProperty("services")));
        else FdWriter.Write(1, root.GetProperty("message").GetString() + "\n");
        return verb == "health" && !root.GetProperty("healthy").GetBoolean() ? 1 : 0;
    }

    /// <summary>
    /// A streamed answer (<c>logs</c>, <c>status --watch</c>): the first line is the answer's header (or its error), each
    /// further line goes to <paramref name="show"/> with whether the header named more than one service; ends when Tend
    /// closes the connection (or, following, when interrupted). Returns the exit code.
    /// </summary>
    private static int StreamLines(string path, ControlRequest request, bool follow, bool json, Func<JsonElement, bool, bool> show)
    {
        int fd;
        try
        {
            fd = Sockets.ConnectUnix(path);
        }
        catch (Sockets.SocketFailure e)
        {
            return CannotTalk(path, e);
        }
        try
        {
            // Following waits as long as it takes; a plain answer comes at once.
            Sockets.SetTimeouts(fd, follow ? TimeSpan.Zero : TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));
            if (!Sockets.SendAll(fd, Encoding.UTF8.GetBytes(request + "\n"))) return CannotTalk(path,
                new Sockets.SocketFailure(Libc.LastError, "cannot send the request"));
            var chunk = new byte[64 * 1024];
            var pending = new MemoryStream();
            var first = true;
            var several = false;
            while (true)
            {
                int n;
                try { n = Sockets.Receive(fd, chunk); }
                catch (Sockets.SocketFailure) { n = 0; }
                if (n < 0)
                {
                    FdWriter.Write(2, "tend: error: Tend did not answer in time\n");
                    return 1;
                }
                if (n == 0) return first ? Fail("Tend closed the connection without an answer") : 0;
                var data = chunk.AsSpan(0, n);
                while (data.IndexOf((byte)'\n') is var nl and >= 0)
                {
                    pending.Write(data[..nl]);
                    data = data[(nl + 1)..];
                    var line = pending.ToArray();
                    pending.SetLength(0);
                    JsonElement root;
                    try
                    {
                        using var doc = JsonDocument.Parse(line);
                        root = doc.RootElement.Clone();
                    }
                    catch (JsonException)
                    {
                        return Fail($"Tend sent a line that is not JSON: {Encoding.UTF8.GetString(line).Trim()}");
                    }
                    if (first && request.Verb == ControlVerb.Logs)
                    {
                        first = false;
                        if (Refused(root) is { } code) return code;
                        several = root.GetProperty("services").GetArrayLength() > 1;
                        var prefixed = root.TryGetProperty("prefixed", out var p0) && p0.GetBoolean();
                        if (root.TryGetProperty("capacity", out var capacity))
                            foreach (var p in capacity.EnumerateObject())
                                if (p.Value.GetInt64() == 0)
                                    FdWriter.Write(2, $"tend: {p.Name}: its output is not kept (--log-buffer 0 or {p.Name}=0: " +
                                        (prefixed
                                            ? "it goes to the container's stdout and stderr through Tend, prefixed, but no copy is kept)\n"
                                            : "it writes straight to the container's stdout and stderr)\n"));
                        // Said when the window asked for (all, -n, --since) reaches past what is kept; an older Tend sends no list.
                        var pastKept = root.TryGetProperty("pastKept", out var past)
                            ? past.EnumerateArray().Select(n => n.GetString()).ToHashSet()
                            : request.Lines is null && request.Since is null ? null : [];
                        foreach (var p in root.GetProperty("dropped").EnumerateObject())
                            if (p.Value.GetInt64() > 0 && (pastKept?.Contains(p.Name) ?? true))
                                FdWriter.Write(2,
                                    $"tend: {p.Name}: {p.Value.GetInt64()} older line{(p.Value.GetInt64() == 1 ? " is" : "s are")} " +
                                        $"no longer kept (its log buffer is full; --log-buffer {p.Name}=SIZE keeps more)\n");
                        continue;
                    }
                    first = false;
                    if (Refused(root) is { } refused) return refused;
                    if (root.TryGetProperty("dropped", out var dropped) && !root.TryGetProperty("text", out _))
                    {
                        FdWriter.Write(2,
                            $"tend: {dropped.GetInt64()} line{(dropped.GetInt64() == 1 ? " was" : "s were")} left out: the service wrote " +
                                $"faster than this client read (they reached the container's output)\n");
                        continue;
                    }
                    // stdout is gone
                    if (!(json ? FdWriter.Write(1, Encoding.UTF8.GetString(line) + "\n") && true : show(root, several))) return 0;
                }
                pending.Write(data);
            }
        }
        finally
        {
            _ = Libc.close(fd); // Linux releases the descriptor whatever close returns: nothing to retry
        }

        static int Fail(string message)
        {
            FdWriter.Write(2, $"tend: error: {message}\n");
            return 1;
        }
    }

    /// <summary>The exit code of an error answer (<c>{"ok":false,…}</c>), after saying why; null for any other line.</summary>
    private static int? Refused(JsonElement root)
    {
        if (!root.TryGetProperty("ok", out var ok) || ok.GetBoolean()) return null;
        var code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 1;
        FdWriter.Write(2, $"tend: error: {(root.TryGetProperty("error", out var m) ? m.GetString() : "refused")}\n");
        return code is 1 or 2 ? code : 1;
    }

    /// <summary>One line of <c>tend logs</c>: its text, after <c>NAME | </c> when several services are shown. False when stdout is
    /// gone.</summary>
    private static bool LogLine(JsonElement line, bool several)
    {
        var text = line.GetProperty("text").GetString();
        return FdWriter.Write(1, several ? $"{line.GetProperty("service").GetString()} | {text}\n" : text + "\n");
    }

    /// <summary>One refresh of <c>tend status --watch</c>: on a terminal the screen is cleared first; elsewhere tables follow each other, a
    /// blank line between.</summary>
    private static bool WatchedTable(JsonElement reply, bool json, bool terminal)
    {
        var table = Table(reply.GetProperty("services"));
        var stamp = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return FdWriter.Write(1,
            terminal ? $"\u001b[H\u001b[2J{table}\n(tend status --watch, {stamp}: refreshed at each change; Ctrl-C ends)\n" : $"{table}\n");
    }

    /// <summary>A bad control request: says <paramref name="message"/> and where <paramref name="verb"/> is told; returns exit
    /// code 2.</summary>
    private static int FailUsage(string message, string verb)
    {
        FdWriter.Write(2, $"tend: error: {message}\nRun 'tend {verb} --help' for the control verbs.\n");
        return TendHost.UsageError;
    }

    private static string Exchange(string path, string request, TimeSpan timeout)
    {
        var fd = Sockets.ConnectUnix(path);
        try
        {
            Sockets.SetTimeouts(fd, timeout, TimeSpan.FromSeconds(5));
            if (!Sockets.SendAll(fd, Encoding.UTF8.GetBytes(request))) throw new Sockets.SocketFailure(Libc.LastError,
                "cannot send the request");
            var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int n;
            try
            {
                while ((n = Sockets.Receive(fd, chunk)) > 0) buffer.Write(chunk, 0, n);
            }
            catch (Sockets.SocketFailure) when (buffer.Length > 0)
            {
                n = 0; // reset after the reply: the reply is what matters
            }
            if (n < 0) throw new Sockets.SocketFailure(Libc.EAGAIN, "no answer");
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        finally
        {
            _ = Libc.close(fd); // Linux releases the descriptor whatever close returns: nothing to retry
        }
    }

    private static readonly string[] Header = ["NAME", "STATE", "PID", "UPTIME", "MEM", "CPU", "RESTARTS", "LAST EXIT", ""];

    /// <summary>The status table.</summary>
    public static string Table(JsonElement services)
    {
        var rows = new List<string[]> { Header };
        foreach (var s in services.EnumerateArray())
        {
            var last = s.TryGetProperty("lastSignal", out var sig) ? sig.GetString()!
                : s.TryGetProperty("lastExitCode", out var code) ? "code " + code.GetInt32().ToString(CultureInfo.InvariantCulture) : "-";
            var note = s.TryGetProperty("reason", out var reason) ? reason.GetString()!
                : s.TryGetProperty("health",
                    out var health) && health.GetString() is "failing" or "unhealthy"
                    ? $"{health.GetString()}: {(s.TryGetProperty("healthReason", out var why) ? why.GetString() : "?")}"
                : s.TryGetProperty("health", out var fine) && fine.GetString() is "healthy" ? "healthy"
                : s.TryGetProperty("check",
                    out var check) && s.GetProperty("state").GetString() == "starting" ? "waiting for " + check.GetString() : "";
            if (s.TryGetProperty("schedule", out var schedule)) note = ScheduleNote(s,
                schedule.GetString()!) + (note.Length > 0 ? "; " + note : "");
            if (s.TryGetProperty("notifyStatus", out var said))
                note = (note.Length > 0 ? note + "; " : "") + "status: " + said.GetString();
            rows.Add([
                s.GetProperty("name").GetString()!,
                s.GetProperty("state").GetString()!,
                s.GetProperty("pid").ValueKind == JsonValueKind.Number
                    ? s.GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
                s.GetProperty("uptimeMs").ValueKind == JsonValueKind.Number ? Uptime(s.GetProperty("uptimeMs").GetInt64()) : "-",
                s.TryGetProperty("rssBytes", out var rss) ? Bytes(rss.GetInt64()) : "-",
                s.TryGetProperty("cpuSeconds", out var cpu) ? cpu.GetDouble().ToString("0.00", CultureInfo.InvariantCulture) + "s" : "-",
                s.GetProperty("restarts").GetInt32().ToString(CultureInfo.InvariantCulture),
                last,
                note,
            ]);
        }
        var widths = Enumerable.Range(0, Header.Length - 1).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (var c = 0; c < widths.Length; c++) sb.Append(r[c].PadRight(widths[c] + 2));
            sb.Append(r[^1]);
            sb.Append('\n');
        }
        return string.Join('\n', sb.ToString().Split('\n').Select(l => l.TrimEnd()));
    }

    /// <summary>A scheduled task's note in the status table: <c>schedule 0 3 * * *, 12 runs, last run 2026-12-01 03:00:00 +00:00, next
    /// 2026-12-02 03:00:00 +00:00</c> (its runs are not restarts: RESTARTS stays 0).</summary>
    private static string ScheduleNote(JsonElement s, string schedule)
    {
        var last = s.TryGetProperty("lastRun", out var l) ? l.GetString() : "never";
        var next = s.TryGetProperty("nextDue",
            out var n) ? "next " + n.GetString() : s.GetProperty("state").GetString() == ServiceStatus.StateName(ServicePhase.Stopped)
            ? "paused" : "no next run";
        var runs = s.TryGetProperty("runs", out var r) ? r.GetInt32() : 0;
        return $"schedule {schedule}, {runs} run{(runs == 1 ? "" : "s")}, last run {last}, {next}";
    }

    /// <summary>Resident memory as the status table shows it: 812K, 14.2M, 1.3G (binary units).</summary>
    internal static string Bytes(long bytes) =>
        bytes >= 1L << 30 ? (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + "G"
        : bytes >= 1L << 20 ? (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + "M"
        : (bytes >> 10).ToString(CultureInfo.InvariantCulture) + "K";

    /// <summary>1h02m, 3m05s, 42s, 0.3s.</summary>
    public static string Uptime(long ms)
    {
        var t = TimeSpan.FromMilliseconds(ms);
        if (t.TotalHours >= 24) return $"{(int)t.TotalDays}d{t.Hours:00}h";
        if (t.TotalHours >= 1) return $"{(int)t.TotalHours}h{t.Minutes:00}m";
        if (t.TotalMinutes >= 1) return $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
        if (t.TotalSeconds >= 10) return $"{(int)t.TotalSeconds}s";
        return (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "s";
    }
}
