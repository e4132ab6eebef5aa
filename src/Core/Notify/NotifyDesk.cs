using System.Collections.Immutable;
using System.Globalization;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Notify;

/// <summary>
/// Tend's end of the sd_notify protocol for its services (sd_notify(3), systemd's Type=notify): one datagram socket,
/// given as <c>NOTIFY_SOCKET</c> to each service declared with <see cref="Readiness.Notify"/> or
/// <see cref="Liveness.Watchdog"/>, and no other. The kernel stamps each datagram with its sender's pid
/// (SO_PASSCRED); the sender is matched to its service by lineage — it carries the run's mark (<see cref="RunMarks"/>),
/// as systemd matches by cgroup — and a datagram from any other process is refused. Owns the socket, the thread that
/// waits on it, and what each run said (its watchdog pings, its deadline, whether it reloads).
/// </summary>
/// <remarks>
/// The thread only waits (poll(2), no timeout: an idle Tend is not woken) and posts one message to the supervisor;
/// the supervisor's thread reads the datagrams without blocking, at most <see cref="BatchSize"/> per round, so a flood
/// is read between the supervisor's other work instead of holding it up; the thread waits again once the queue is
/// empty. A malformed datagram is parsed as far as it goes (<see cref="NotifyMessage.Parse"/> never throws), an
/// oversized one is refused whole.
/// </remarks>
internal sealed class NotifyDesk : IDisposable
{
    /// <summary>Datagrams read per round of the supervisor at most.</summary>
    public const int BatchSize = 256;

    /// <summary>A refusal of the same kind is logged at most once per this long (ms), with a count of those not logged.</summary>
    public const long RefusalLogEveryMs = 10_000;

    private sealed class RunState
    {
        public int Starts;
        public long LastPingAt;
        public long? DeadlineMs;
        public bool Reloading;
    }

    private readonly ServiceTable _table;
    private readonly EventLog _log;
    private readonly Action _wake;
    private readonly int _fd;
    private readonly int _stopFd;
    private readonly byte[] _buffer = new byte[NotifyMessage.MaxBytes];
    private readonly RunState[] _runs;
    private readonly List<ProbeResult> _results = [];
    private readonly Dictionary<string, (long Until, int Suppressed)> _refusals = [];
    private readonly SemaphoreSlim _drained = new(0, 1);
    private readonly Thread _thread;
    private volatile bool _disposed;

    /// <summary>The address services get in NOTIFY_SOCKET (<c>@…</c>: an abstract socket, unix(7)).</summary>
    public string Address { get; }

    /// <summary>Datagrams taken, and of those refused (a stranger, oversized, no sender), since start: for tests and the benchmark.</summary>
    public long Received { get; private set; }

    /// <inheritdoc cref="Received"/>
    public long Refused { get; private set; }

    private NotifyDesk(ServiceTable table, EventLog log, Action wake, string address, int fd, int stopFd)
    {
        _table = table;
        _log = log;
        _wake = wake;
        Address = address;
        _fd = fd;
        _stopFd = stopFd;
        _runs = [.. table.Services.Select(_ => new RunState())];
        _thread = new Thread(Wait) { IsBackground = true, Name = "tend-notify" };
        _thread.Start();
    }

    /// <summary>Whether <paramref name="spec"/> speaks sd_notify to Tend: its readiness is <c>notify</c> or its liveness a watchdog.</summary>
    public static bool Uses(ServiceSpec spec) => spec.Ready?.Kind == ReadinessKind.Notify || spec.Alive?.Check.Kind == ReadinessKind.Watchdog;

    /// <summary>
    /// Opens the socket when a service of <paramref name="table"/> uses it (<see cref="Uses"/>), else returns null (no
    /// socket, no thread). <paramref name="wake"/> is called from the desk's thread when datagrams wait: it must post to
    /// the supervisor, which then calls <see cref="Drain"/>. The socket is abstract (<c>@tend/notify/PID-RANDOM</c>): no
    /// file to create, so it works as any user and on a read-only root, and it is gone with Tend; a service in another
    /// network namespace cannot reach it (abstract names are per network namespace, unix(7)).
    /// </summary>
    /// <exception cref="Sockets.SocketFailure">The socket cannot be made.</exception>
    public static NotifyDesk? Open(ServiceTable table, EventLog log, Action wake)
    {
        if (!table.Services.Any(Uses)) return null;
        var address = $"@tend/notify/{Libc.getpid()}-{Random.Shared.Next():x8}";
        var fd = NotifySocket.Listen(address);
        var stopFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        return new NotifyDesk(table, log, wake, address, fd, stopFd);
    }

    /// <summary>
    /// <paramref name="command"/> as service <paramref name="spec"/> runs it: with <c>NOTIFY_SOCKET</c>, and for a watchdog
    /// <c>WATCHDOG_USEC</c> (µs; sd_watchdog_enabled(3)) — WATCHDOG_PID is not set, since the pid is not known before the
    /// spawn, and any process of the run may ping.
    /// </summary>
    public Command Environment(ServiceSpec spec, Command command)
    {
        if (!Uses(spec)) return command;
        command = command.WithEnvironment("NOTIFY_SOCKET", Address);
        if (spec.Alive is { Check.Kind: ReadinessKind.Watchdog } alive)
            command = command.WithEnvironment("WATCHDOG_USEC", ((long)(alive.Interval.TotalMilliseconds * 1000)).ToString(CultureInfo.InvariantCulture));
        return command;
    }

    private unsafe void Wait()
    {
        var fds = stackalloc Libc.PollFd[2];
        while (!_disposed)
        {
            fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = _stopFd, Events = Libc.POLLIN };
            if (Libc.poll(fds, 2, -1) < 0) continue; // EINTR: wait again
            if (_disposed || fds[1].Revents != 0) return;
            if (fds[0].Revents == 0) continue;
            _wake();
            _drained.Wait();
        }
    }

    /// <summary>
    /// Reads at most <see cref="BatchSize"/> datagrams and acts on each: readiness and a watchdog trigger become results
    /// (<see cref="TakeResults"/>), a status and a new main process change <paramref name="runtimes"/>, the rest are
    /// logged. Returns true when datagrams may still wait (the caller calls again on a later round), false when the
    /// queue is empty (the desk's thread waits again).
    /// </summary>
    public bool Drain(ref ImmutableArray<ServiceRuntime> runtimes, long now, int self)
    {
        for (var n = 0; n < BatchSize; n++)
        {
            NotifySocket.Outcome outcome;
            int length, pid;
            try { outcome = NotifySocket.Receive(_fd, _buffer, out length, out pid, out _); }
            catch (Sockets.SocketFailure e)
            {
                // Not expected on a bound datagram socket; said, and waited on again rather than spun on.
                RefuseLog("error", PlainMessage.Of(e), now);
                return false;
            }
            if (outcome == NotifySocket.Outcome.Empty) return false;
            Received++;
            switch (outcome)
            {
                case NotifySocket.Outcome.Oversized:
                    Refuse("oversized", $"a notify datagram of {length} bytes (more than {NotifyMessage.MaxBytes}, systemd's limit) was refused", now);
                    continue;
                case NotifySocket.Outcome.NoSender:
                    Refuse("nosender", "a notify datagram without its sender's credentials (or from another PID namespace) was refused", now);
                    continue;
            }
            var i = ServiceOf(pid, runtimes);
            if (i < 0)
            {
                Refuse("stranger", $"a notify datagram from pid {pid} ({Comm(pid)}) was refused: that process is no service's (only a service's own processes may notify)", now);
                continue;
            }
            var spec = _table.Services[i];
            if (!Uses(spec))
            {
                Refuse("undeclared:" + spec.Name, $"a notify datagram from pid {pid} of '{spec.Name}' was refused: '{spec.Name}' is declared with neither notify readiness nor a watchdog", now);
                continue;
            }
            var message = NotifyMessage.Parse(_buffer.AsSpan(0, length));
            Act(i, pid, message, ref runtimes, now, self);
        }
        return true;
    }

    /// <summary>Tells the desk's thread that the queue was read empty: it waits on the socket again.</summary>
    public void Drained()
    {
        if (_drained.CurrentCount == 0) _drained.Release();
    }

    private void Act(int i, int pid, NotifyMessage m, ref ImmutableArray<ServiceRuntime> runtimes, long now, int self)
    {
        var spec = _table.Services[i];
        var r = runtimes[i];
        var run = _runs[i];
        if (run.Starts != r.Starts)
        {
            _runs[i] = run = new RunState { Starts = r.Starts };
        }
        if (m.Ignored > 0)
            Refuse("malformed:" + spec.Name, $"'{spec.Name}' (pid {pid}) sent {m.Ignored} notify assignment{(m.Ignored == 1 ? "" : "s")} Tend does not take (not NAME=VALUE, or a value its name does not take): left out", now);
        if (m.MainPid is { } main) r = MainPid(i, r, main, self, now);
        if (m.Status is { } status && status != r.NotifyStatus)
        {
            r = r with { NotifyStatus = status };
            _log.Service(spec.Name, EventNames.Notified, $"status: {status}", pid, restarts: r.Restarts);
        }
        if (m.Reloading)
        {
            run.Reloading = true;
            _log.Service(spec.Name, EventNames.Notified, "reloading (RELOADING=1)", pid, restarts: r.Restarts);
        }
        if (m.Ready)
        {
            if (run.Reloading)
            {
                run.Reloading = false;
                _log.Service(spec.Name, EventNames.Notified, "reloaded (READY=1 after RELOADING=1): not a restart", pid, restarts: r.Restarts);
            }
            if (spec.Ready?.Kind == ReadinessKind.Notify && !r.Ready && r.Phase == ServicePhase.Running)
                _results.Add(new ProbeResult(i, r.Starts, ProbePurpose.Ready, true, null));
        }
        if (m.Stopping) _log.Service(spec.Name, EventNames.Notified, "stopping (STOPPING=1)", pid, restarts: r.Restarts);
        if (m.Errno is { } errno) _log.Service(spec.Name, EventNames.Notified, $"reports error {errno} (ERRNO={errno}: {Libc.ErrorText(errno)})", pid, restarts: r.Restarts, reason: $"ERRNO={errno}");
        if (m.ExtendTimeoutUsec is { } extend)
        {
            // systemd: the timeout under way becomes at least this long from now. Tend has a stop timeout, not a start one.
            var ms = (long)Math.Min(extend / 1000, int.MaxValue);
            var more = Duration.Format(TimeSpan.FromMilliseconds(ms));
            if (r.Phase is ServicePhase.Stopping or ServicePhase.Cleaning && r.StopSentAt is not null && !r.Killed)
            {
                r = r with { StopExtendedUntil = Math.Max(r.StopExtendedUntil, now + ms) };
                _log.Service(spec.Name, EventNames.Notified, $"given {more} more to stop (EXTEND_TIMEOUT_USEC)", pid, restarts: r.Restarts);
            }
            else _log.Service(spec.Name, EventNames.Notified, $"asks for {more} more (EXTEND_TIMEOUT_USEC): Tend has no start timeout to extend", pid, restarts: r.Restarts);
        }
        if (spec.Alive is { Check.Kind: ReadinessKind.Watchdog })
        {
            if (m.WatchdogUsec is { } usec)
            {
                run.DeadlineMs = (long)Math.Min(Math.Max(1, usec / 1000), int.MaxValue);
                _log.Service(spec.Name, EventNames.Notified, $"watchdog deadline set to {Duration.Format(TimeSpan.FromMilliseconds(run.DeadlineMs.Value))} (WATCHDOG_USEC)", pid, restarts: r.Restarts);
            }
            if (m.Watchdog == WatchdogRequest.Ping) run.LastPingAt = now;
            else if (m.Watchdog == WatchdogRequest.Trigger && r.Phase == ServicePhase.Running)
                _results.Add(new ProbeResult(i, r.Starts, ProbePurpose.Alive, false, "the service asked for it (WATCHDOG=trigger)"));
        }
        runtimes = runtimes.SetItem(i, r);
    }

    /// <summary>MAINPID=: the process becomes the run's main process when it is the run's own (it carries the run's mark).</summary>
    private ServiceRuntime MainPid(int i, ServiceRuntime r, int pid, int self, long now)
    {
        var spec = _table.Services[i];
        // Already the main process: found by lineage, it is the declared one now (it holds until it exits).
        if (r.Process is { } current && current.Pid == pid)
            return current.Launched || current.Declared ? r : r with { Run = r.Run with { Main = current with { Declared = true } } };
        if (!ProcFs.TryReadStat(pid, out var st) || st.Gone)
        {
            _log.Service(spec.Name, EventNames.Notified, $"MAINPID={pid} refused: no such process", r.Process?.Pid, restarts: r.Restarts, error: true);
            return r;
        }
        st = st with { Mark = ProcFs.ReadMark(pid) };
        if (Identity.OnMainPid(r.Run, st, self, now) is not { } run)
        {
            _log.Service(spec.Name, EventNames.Notified, $"MAINPID={pid} refused: pid {pid} ({st.Comm}) is not a process of this run of '{spec.Name}'", r.Process?.Pid, restarts: r.Restarts, error: true);
            return r;
        }
        _log.Service(spec.Name, EventNames.Notified, $"main process is now pid {pid} ({st.Comm}) (MAINPID={pid})", pid, restarts: r.Restarts);
        return r with { Run = run };
    }

    /// <summary>
    /// The service whose run <paramref name="pid"/> belongs to: it carries the run's mark; where marks are not
    /// available, it is the run's main process or in one of the run's process groups. -1: none.
    /// </summary>
    private static int ServiceOf(int pid, ImmutableArray<ServiceRuntime> runtimes)
    {
        var mark = ProcFs.ReadMark(pid);
        ProcStat? stat = null;
        for (var i = 0; i < runtimes.Length; i++)
        {
            var run = runtimes[i].Run;
            if (runtimes[i].IsDown || run.Main is null) continue;
            if (run.Mark != 0)
            {
                if (mark == run.Mark) return i;
                continue;
            }
            if (run.Main.Pid == pid) return i;
            if (stat is null && ProcFs.TryReadStat(pid, out var st)) stat = st;
            if (stat is { } s && run.Groups.Contains(s.Pgid)) return i;
        }
        return -1;
    }

    private static string Comm(int pid) => ProcFs.TryReadStat(pid, out var st) ? st.Comm : "gone";

    private void Refuse(string kind, string message, long now)
    {
        Refused++;
        RefuseLog(kind, message, now);
    }

    /// <summary>Logs a refusal, at most once per <see cref="RefusalLogEveryMs"/> for each kind: a flood never floods the log.</summary>
    private void RefuseLog(string kind, string message, long now)
    {
        if (_refusals.TryGetValue(kind, out var seen) && now < seen.Until)
        {
            _refusals[kind] = (seen.Until, seen.Suppressed + 1);
            return;
        }
        var more = seen.Suppressed > 0 ? $" ({seen.Suppressed} more of this kind not logged)" : "";
        _log.Error(message + more);
        _refusals[kind] = (now + RefusalLogEveryMs, 0);
    }

    /// <summary>Results since the last call: READY=1 (readiness passed) and WATCHDOG=trigger (liveness failed).</summary>
    public List<ProbeResult> TakeResults()
    {
        if (_results.Count == 0) return [];
        var results = _results.ToList();
        _results.Clear();
        return results;
    }

    /// <summary>
    /// The watchdog check of service <paramref name="i"/>'s current run <paramref name="r"/> at <paramref name="now"/>:
    /// passes when its last WATCHDOG=1 (or, before the first, its start) is within its deadline (declared, or set
    /// by WATCHDOG_USEC=).
    /// </summary>
    public bool WatchdogAlive(int i, ServiceRuntime r, TimeSpan declared, long now, out string? reason)
    {
        var run = _runs[i];
        var last = run.Starts == r.Starts ? Math.Max(run.LastPingAt, r.StartedAt) : r.StartedAt;
        var deadline = run.Starts == r.Starts && run.DeadlineMs is { } d ? d : (long)declared.TotalMilliseconds;
        var since = now - last;
        reason = since <= deadline ? null
            : run.Starts == r.Starts && run.LastPingAt > 0 ? $"no WATCHDOG=1 for {Duration.Format(TimeSpan.FromMilliseconds(since))} (deadline {Duration.Format(TimeSpan.FromMilliseconds(deadline))})"
            : $"no WATCHDOG=1 since it started {Duration.Format(TimeSpan.FromMilliseconds(since))} ago (deadline {Duration.Format(TimeSpan.FromMilliseconds(deadline))})";
        return reason is null;
    }

    /// <summary>Stops the desk's thread and closes the socket.</summary>
    public unsafe void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ulong one = 1;
        _ = Libc.write(_stopFd, (byte*)&one, 8); // wakes the thread's poll; an eventfd write of 1 cannot fail here
        Drained();
        _thread.Join(1000);
        _ = Libc.close(_fd); // Linux releases the descriptor whatever close returns
        _ = Libc.close(_stopFd);
    }
}
