using System.Text;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>What a check is for.</summary>
internal enum ProbePurpose
{
    /// <summary>Readiness: until it first passes in a run.</summary>
    Ready,
    /// <summary>Liveness: every interval once the run is ready.</summary>
    Alive,
}

/// <summary>How one check ended, for the run (by its start count) it was started in.</summary>
internal readonly record struct ProbeResult(int Service, int Starts, ProbePurpose Purpose, bool Passed, string? Reason, double Seconds = 0);

/// <summary>
/// Checks in flight — readiness and liveness — run on the supervisor's thread without blocking it: a file check is one
/// stat, a TCP check a non-blocking connect polled on later rounds, an HTTP check that connect then a GET and the status
/// line of its answer (HTTP/1.0 on Tend's own sockets: System.Net.Http would cost PID 1 megabytes, see README
/// "Performance"), a command check a child process reaped like any other, a watchdog check a look at the last
/// WATCHDOG=1 the service sent (<see cref="Notify.NotifyDesk"/>; notify readiness is no attempt: READY=1 comes as a message). Owns every
/// attempt's state; how each ended it
/// hands back through <see cref="TakeResults"/>, and the supervisor records it through the reconciler.
/// </summary>
internal sealed class Probes(ServiceTable table, Spawner spawner, EventLog log, Action spawned,
    Notify.NotifyDesk? notify = null) : IDisposable
{
    /// <summary>One attempt in flight.</summary>
    private sealed class Attempt
    {
        public required int Service;
        public required int Starts;
        public required ProbePurpose Purpose;
        public required Check Check;
        public required long Deadline;
        public required TimeSpan Timeout;
        public int Socket = -1;
        public long NextPollAt;
        public long PollDelay = FirstPollMs;
        public bool Sent;
        public byte[]? Answer;
        public int Received;
        public int Pid;
        public bool Killed;
        /// <summary>When it started (Stopwatch ticks), for how long it took.</summary>
        public readonly long StartedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// When (ms) a socket check in flight is first looked at again; the delay then doubles up to <see cref="MaxPollMs"/>,
    /// so a connect or an answer that is quick (loopback) costs a wake-up or two, and a slow one (a listener whose backlog
    /// is full: the SYN is retried after a second) a handful rather than one every few milliseconds.
    /// </summary>
    private const long FirstPollMs = 1, MaxPollMs = 200;

    /// <summary>Enough of an HTTP answer for its status line's code: <c>HTTP/1.1 200</c>.</summary>
    private const int StatusLineBytes = 12;

    private readonly Dictionary<(int, ProbePurpose), Attempt> _attempts = [];
    private readonly Dictionary<int, int> _checkErrorReported = []; // service → the run whose check could not start (said once per run)
    private readonly List<ProbeResult> _results = [];
    private int _devNull = -1;

    /// <summary>Attempts in flight.</summary>
    public int Count => _attempts.Count;

    /// <summary>The services' output, where a log-line check looks for its match (<see cref="CheckKind.LogLine"/>).</summary>
    public ServiceLogs? Logs { get; init; }

    /// <summary>Starts one attempt of service <paramref name="i"/>'s <paramref name="purpose"/> check for its current run
    /// (<paramref name="r"/>), unless one still runs.</summary>
    public void Start(int i, ProbePurpose purpose, ServiceRuntime r, long now)
    {
        if (_attempts.ContainsKey((i, purpose))) return; // the previous attempt is still running
        var spec = table.Services[i];
        var (check, timeout) = purpose == ProbePurpose.Ready
            ? (spec.Ready!.Check, spec.Ready.Timeout)
            : (spec.Alive!.Check, spec.Alive.Timeout);
        var attempt = new Attempt
        {
            Service = i, Starts = r.Starts, Purpose = purpose, Check = check, Timeout = timeout,
            Deadline = now + Math.Max(1, (long)timeout.TotalMilliseconds),
        };
        switch (check.Kind)
        {
            case CheckKind.Notify:
                return; // READY=1 arrives as a message (Notify.NotifyDesk): nothing to poll
            case CheckKind.Watchdog:
                {
                    string? why = "no notify socket";
                    End(attempt, notify?.WatchdogAlive(i, r, spec.Alive!.Interval, now, out why) ?? false, why);
                    break;
                }
            case CheckKind.File:
                End(attempt, Path.Exists(check.Path), $"{check.Path} does not exist");
                break;
            case CheckKind.LogLine:
                // The relay matched the lines as it read them: this only asks whether one of this run did.
                End(attempt, Logs?.Matched(i, r.Starts) ?? false, $"no line of its output matched /{check.Pattern}/ yet");
                break;
            case CheckKind.Tcp or CheckKind.Http:
                switch (Sockets.StartConnect(check.Address!, check.Port))
                {
                    case null:
                        End(attempt, false, "connection refused"); // nothing listens (yet)
                        break;
                    case var (fd, connected):
                        attempt.Socket = fd;
                        attempt.NextPollAt = now + FirstPollMs;
                        _attempts[(i, purpose)] = attempt;
                        if (connected) Advance(attempt, now);
                        break;
                }
                break;
            case CheckKind.Command:
                if (_devNull < 0 && (_devNull = Libc.OpenDevNull()) < 0)
                {
                    // Without it the check would write to Tend's own output: it does not run.
                    End(attempt, false, $"cannot open /dev/null: {Libc.ErrorText(Libc.LastError)}");
                    break;
                }
                var pid = spawner.Spawn(check.Command!, spec.WorkingDirectory, _devNull, _devNull, out var error);
                if (pid == 0)
                {
                    if (r.Starts != _checkErrorReported.GetValueOrDefault(i))
                    {
                        _checkErrorReported[i] = r.Starts;
                        log.Service(spec.Name, EventNames.CheckError,
                            $"{(purpose == ProbePurpose.Ready ? "readiness" : "liveness")} check cannot run: {error}", restarts: r.Restarts,
                            error: true);
                    }
                    End(attempt, false, $"cannot run: {error}");
                    break;
                }
                attempt.Pid = pid;
                _attempts[(i, purpose)] = attempt;
                spawned();
                break;
        }
    }

    /// <summary>Moves socket attempts in flight on, and ends attempts past their timeout (a command check's group gets SIGKILL).</summary>
    public void Poll(long now)
    {
        if (_attempts.Count == 0) return;
        foreach (var a in _attempts.Values.ToList())
        {
            if (a.Socket >= 0)
            {
                if (now >= a.NextPollAt || now >= a.Deadline) Advance(a, now);
            }
            else if (!a.Killed && now >= a.Deadline)
            {
                // The check runs in its own session and group; ESRCH: it ended meanwhile, and its exit will be reaped.
                if (Libc.kill(-a.Pid, Libc.SIGKILL) != 0 && Libc.LastError != Libc.ESRCH)
                    log.Error($"cannot stop the check of '{table.Services[a.Service].Name}' (pid {a.Pid}): " +
                        $"{Libc.ErrorText(Libc.LastError)}");
                a.Killed = true;
            }
        }
    }

    /// <summary>A socket attempt: connected → (HTTP) request sent → status line read; or past its deadline.</summary>
    private void Advance(Attempt a, long now)
    {
        if (!a.Sent)
        {
            switch (Sockets.ConnectError(a.Socket))
            {
                case null:
                    if (now >= a.Deadline) End(a, false, $"no connection within {Duration.Format(a.Timeout)}");
                    else Later(a, now);
                    return;
                case 0 when a.Check.Kind == CheckKind.Tcp:
                    End(a, true, null);
                    return;
                case 0:
                    var request =
                        Encoding.ASCII.GetBytes($"GET {a.Check.HttpPath} HTTP/1.0\r\nHost: " +
                            $"{a.Check.Address}:{a.Check.Port}\r\nUser-Agent: tend\r\nConnection: close\r\n\r\n");
                    if (!Sockets.SendAll(a.Socket, request))
                    {
                        End(a, false, "the connection closed before the request was sent");
                        return;
                    }
                    a.Sent = true;
                    a.Answer = new byte[StatusLineBytes];
                    break;
                case var errno:
                    End(a, false, errno == Libc.ECONNREFUSED ? "connection refused" : $"cannot connect: {Libc.ErrorText(errno.Value)}");
                    return;
            }
        }
        int n;
        try { n = Sockets.Receive(a.Socket, a.Answer.AsSpan(a.Received)); }
        catch (Sockets.SocketFailure e)
        {
            End(a, false, e.Message);
            return;
        }
        if (n > 0) a.Received += n;
        if (a.Received >= StatusLineBytes) End(a, HttpStatus(a.Answer!) is >= 200 and < 400,
            HttpStatus(a.Answer!) is { } code ? $"HTTP {code}" : "not an HTTP answer");
        else if (n == 0) End(a, false, a.Received > 0 ? "not an HTTP answer" : "the connection closed without an answer");
        else if (now >= a.Deadline) End(a, false, $"no answer within {Duration.Format(a.Timeout)}");
        else Later(a, now);
    }

    /// <summary>Nothing yet: look again after twice the last delay (at most <see cref="MaxPollMs"/>).</summary>
    private static void Later(Attempt a, long now)
    {
        a.NextPollAt = now + a.PollDelay;
        a.PollDelay = Math.Min(2 * a.PollDelay, MaxPollMs);
    }

    /// <summary>The status code of an answer's first bytes (<c>HTTP/1.x NNN</c>), or null (RFC 9112, section 4).</summary>
    internal static int? HttpStatus(ReadOnlySpan<byte> answer)
    {
        if (answer.Length < StatusLineBytes || !answer.StartsWith("HTTP/1."u8) || answer[8] != (byte)' ') return null;
        var code = 0;
        foreach (var b in answer.Slice(9, 3))
        {
            if (b is < (byte)'0' or > (byte)'9') return null;
            code = code * 10 + (b - '0');
        }
        return code;
    }

    /// <summary>A reaped pid that is no service's: true when it was a command check, which then counts as ended.</summary>
    public bool OnExit(int pid, ExitStatus status)
    {
        foreach (var a in _attempts.Values)
            if (a.Pid == pid)
            {
                End(a, status.Success && !a.Killed,
                    a.Killed ? $"no answer within {Duration.Format(a.Timeout)} (killed)" : $"exited with {status}");
                return true;
            }
        return false;
    }

    /// <summary>How the checks ended since the last call.</summary>
    public List<ProbeResult> TakeResults()
    {
        if (_results.Count == 0) return [];
        var results = _results.ToList();
        _results.Clear();
        return results;
    }

    /// <summary>The pids of command checks in flight (the reaper must report their exits).</summary>
    public IEnumerable<int> Pids
    {
        get
        {
            foreach (var a in _attempts.Values) if (a.Pid > 0) yield return a.Pid;
        }
    }

    /// <summary>The next moment (ms) an attempt in flight needs looking at: its timeout, or its next look for a socket check.</summary>
    public long NextDeadline(long now)
    {
        var wake = long.MaxValue;
        foreach (var a in _attempts.Values)
            wake = Math.Min(wake, a.Socket >= 0 ? Math.Min(a.Deadline, a.NextPollAt) : a.Killed ? long.MaxValue : a.Deadline);
        return wake;
    }

    private void End(Attempt a, bool passed, string? reason)
    {
        _attempts.Remove((a.Service, a.Purpose));
        CloseSocket(a);
        _results.Add(new ProbeResult(a.Service, a.Starts, a.Purpose, passed, passed ? null : reason,
            System.Diagnostics.Stopwatch.GetElapsedTime(a.StartedTicks).TotalSeconds));
    }

    private static void CloseSocket(Attempt a)
    {
        // close(2) of a socket Tend opened: EINTR/EIO leave nothing to retry on Linux (the fd is released either way).
        if (a.Socket >= 0) _ = Libc.close(a.Socket);
        a.Socket = -1;
    }

    /// <summary>Ends every attempt in flight.</summary>
    public void Dispose()
    {
        foreach (var a in _attempts.Values)
        {
            CloseSocket(a);
            if (a.Pid > 0) _ = Libc.kill(-a.Pid, Libc.SIGKILL); // ESRCH: it ended already; nothing else can fail here
        }
        _attempts.Clear();
    }
}
