using System.Collections.Immutable;
using System.Globalization;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Notify;

/// <summary>
/// Tend's end of the sd_notify protocol for its services (sd_notify(3), systemd's Type=notify): one datagram socket
/// per service declared with <see cref="Readiness.Notify"/> or <see cref="Liveness.Watchdog"/>, given to it (and no
/// other) as <c>NOTIFY_SOCKET</c>, so the socket a datagram arrives on says which service it is for. The kernel stamps
/// each datagram with its sender's pid and uid at send time (SO_PASSCRED, unix(7)): the uid must be root's or the
/// service's own user's; a sender still there when the datagram is read must also carry the run's mark
/// (<see cref="RunMarks"/>, as systemd matches by cgroup). A sender that has exited since (<c>systemd-notify --ready</c>,
/// a shell one-liner) cannot be looked up any more, and is taken on its socket and uid alone. Owns the sockets, the
/// thread that waits on them, and what each run said (its watchdog pings, its deadline, whether it reloads).
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
        public long Failed = -1; // the LastPingAt whose WATCHDOG_USEC= deadline was reported missed
    }

    private readonly ServiceTable _table;
    private readonly EventLog _log;
    private readonly Action _wake;
    private readonly int[] _fds; // per service: its socket, or -1 (it does not use notify)
    private readonly string?[] _addresses;
    private readonly long[] _uids; // per service: the uid it runs as, or -1 when its user cannot be resolved
    private readonly int _stopFd;
    private int _next; // the socket Drain starts at: each round starts one further, so no service's flood starves another
    private long _due = long.MaxValue; // the earliest WATCHDOG_USEC= deadline (monotonic ms), read by the desk's thread
    private readonly byte[] _buffer = new byte[NotifyMessage.MaxBytes];
    private readonly RunState[] _runs;
    private readonly List<ProbeResult> _results = [];
    private readonly Dictionary<string, (long Until, int Suppressed)> _refusals = [];
    private readonly SemaphoreSlim _drained = new(0, 1);
    private readonly Thread _thread;
    private volatile bool _disposed;

    /// <summary>The address service <paramref name="i"/> gets in NOTIFY_SOCKET (<c>@…</c>: an abstract socket, unix(7)), or null when it
    /// does not use notify.</summary>
    public string? Address(int i) => _addresses[i];

    /// <summary>Datagrams taken, and of those refused (a stranger, oversized, no sender), since start: for tests and the
    /// benchmark.</summary>
    public long Received { get; private set; }

    /// <inheritdoc cref="Received"/>
    public long Refused { get; private set; }

    private NotifyDesk(ServiceTable table, EventLog log, Action wake, string?[] addresses, int[] fds, int stopFd)
    {
        _table = table;
        _log = log;
        _wake = wake;
        _addresses = addresses;
        _fds = fds;
        _stopFd = stopFd;
        _uids = [.. table.Services.Select(UidOf)];
        _runs = [.. table.Services.Select(_ => new RunState())];
        _thread = new Thread(Wait) { IsBackground = true, Name = "tend-notify" };
        _thread.Start();
    }

    /// <summary>Whether <paramref name="spec"/> speaks sd_notify to Tend: its readiness is <c>notify</c> or its liveness a
    /// watchdog.</summary>
    public static bool Uses(ServiceSpec spec) => spec.Ready?.Check.Kind == CheckKind.Notify
        || spec.Alive?.Check.Kind == CheckKind.Watchdog;

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
        var prefix = $"@tend/notify/{Libc.getpid()}-{Random.Shared.Next():x8}/";
        var n = table.Services.Length;
        var fds = new int[n];
        var addresses = new string?[n];
        Array.Fill(fds, -1);
        try
        {
            for (var i = 0; i < n; i++)
            {
                if (!Uses(table.Services[i])) continue;
                addresses[i] = prefix + i.ToString(CultureInfo.InvariantCulture);
                fds[i] = NotifySocket.Listen(addresses[i]!);
            }
        }
        catch
        {
            foreach (var fd in fds) if (fd >= 0) _ = Libc.close(fd); // the first failure is the one thrown
            throw;
        }
        var stopFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        return new NotifyDesk(table, log, wake, addresses, fds, stopFd);
    }

    /// <summary>The uid <paramref name="spec"/> runs as: its <see cref="ServiceSpec.User"/>, else Tend's own; -1 when the user cannot be
    /// resolved (the spawn fails then anyway).</summary>
    private static long UidOf(ServiceSpec spec)
    {
        if (spec.User is null) return Libc.geteuid();
        try { return UserIdentity.Resolve(spec.User).Uid; }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or InvalidOperationException) { return -1; }
    }

    /// <summary>
    /// <paramref name="command"/> as service <paramref name="spec"/> runs it: with <c>NOTIFY_SOCKET</c>, and for a watchdog
    /// <c>WATCHDOG_USEC</c> (µs; sd_watchdog_enabled(3)) — WATCHDOG_PID is not set, since the pid is not known before the
    /// spawn, and any process of the run may ping.
    /// </summary>
    public Command Environment(ServiceSpec spec, Command command)
    {
        if (!Uses(spec)) return command;
        command = command.WithEnvironment("NOTIFY_SOCKET", _addresses[_table.Services.IndexOf(spec)]!);
        if (spec.Alive is { Check.Kind: CheckKind.Watchdog } alive)
            command =
                command.WithEnvironment("WATCHDOG_USEC", ((long)(alive.Interval.TotalMilliseconds *
                1000)).ToString(CultureInfo.InvariantCulture));
        return command;
    }

    private unsafe void Wait()
    {
        var count = _fds.Count(f => f >= 0);
        var fds = stackalloc Libc.PollFd[count + 1];
        while (!_disposed)
        {
            var k = 0;
            foreach (var fd in _fds)
                if (fd >= 0) fds[k++] = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
            fds[count] = new Libc.PollFd { Fd = _stopFd, Events = Libc.POLLIN };
            // No timeout while no run set its own deadline (an idle Tend is not woken); else until the earliest one,
            // so a WATCHDOG_USEC= shorter than the declared deadline is enforced on its own timetable.
            var due = Interlocked.Read(ref _due);
            var timeout = due == long.MaxValue ? -1 : (int)Math.Clamp(due - MonotonicClock.NowMs, 0, int.MaxValue);
            var ready = Libc.poll(fds, (nuint)(count + 1), timeout);
            if (ready < 0) continue; // EINTR: wait again
            if (_disposed || fds[count].Revents != 0) return;
            if (ready == 0 && due > MonotonicClock.NowMs) continue;
            _wake();
            _drained.Wait();
        }
    }

    /// <summary>
    /// Reads at most <see cref="BatchSize"/> datagrams (from each service's socket in turn) and acts on each: readiness
    /// and a watchdog trigger become results (<see cref="TakeResults"/>), a status and a new main process change
    /// <paramref name="runtimes"/>, the rest are logged; a run past the deadline it set itself (WATCHDOG_USEC=) fails its
    /// liveness. Returns true when datagrams may still wait (the caller calls again on a later round), false when the
    /// queues are empty (the desk's thread waits again).
    /// </summary>
    public bool Drain(ref ImmutableArray<ServiceRuntime> runtimes, long now, int self)
    {
        var more = false;
        var n = _fds.Length;
        var start = _next;
        _next = (_next + 1) % n;
        for (var k = 0; k < n; k++)
        {
            var i = (start + k) % n;
            if (_fds[i] >= 0 && DrainOne(i, ref runtimes, now, self)) more = true;
        }
        Overdue(runtimes, now);
        return more;
    }

    /// <summary>Reads at most <see cref="BatchSize"/> / (sockets) datagrams of service <paramref name="i"/>'s socket; true when more may
    /// wait.</summary>
    private bool DrainOne(int i, ref ImmutableArray<ServiceRuntime> runtimes, long now, int self)
    {
        var batch = Math.Max(16, BatchSize / Math.Max(1, _fds.Count(f => f >= 0)));
        var spec = _table.Services[i];
        for (var n = 0; n < batch; n++)
        {
            NotifySocket.Outcome outcome;
            int length, pid, fds;
            uint uid;
            try { outcome = NotifySocket.Receive(_fds[i], _buffer, out length, out pid, out uid, out fds); }
            catch (Sockets.SocketFailure e)
            {
                // Not expected on a bound datagram socket; said, and waited on again rather than spun on.
                RefuseLog("error", () => PlainMessage.Of(e), now);
                return false;
            }
            if (outcome == NotifySocket.Outcome.Empty) return false;
            Received++;
            if (fds > 0)
                RefuseLog("fds:" + spec.Name, () =>
                    $"a notify datagram for '{spec.Name}' carried {fds} file descriptor{(fds == 1 ? "" : "s")}: closed, " +
                    "not stored (Tend does not keep descriptors: FDSTORE=1 is not supported; BARRIER=1 is answered by the close)", now,
                        error: false);
            switch (outcome)
            {
                case NotifySocket.Outcome.Oversized:
                    Refuse("oversized", () =>
                        $"a notify datagram of {length} bytes (more than {NotifyMessage.MaxBytes}, systemd's limit) for '{spec.Name}' " +
                            $"was refused", now);
                    continue;
                case NotifySocket.Outcome.NoSender:
                    Refuse("nosender", () =>
                        $"a notify datagram for '{spec.Name}' without its sender's credentials (or from another PID namespace) was refused",
                        now);
                    continue;
            }
            var r = runtimes[i];
            if (r.IsDown || r.Run.Main is null)
            {
                Refuse("down:" + spec.Name, () =>
                    $"a notify datagram from pid {pid} for '{spec.Name}' was refused: '{spec.Name}' is not running", now);
                continue;
            }
            if (!UidMayNotify(i, r, uid))
            {
                Refuse("uid:" + spec.Name, () =>
                    $"a notify datagram from pid {pid} (uid {uid}) for '{spec.Name}' was refused: only root or the user " +
                    $"'{spec.Name}' runs as (uid {_uids[i]}, or its main process's) may notify for it", now);
                continue;
            }
            if (Stranger(pid, r, runtimes, out var other))
            {
                Refuse("stranger:" + spec.Name, () => other >= 0
                    ? $"a notify datagram from pid {pid} ({Comm(pid)}) on the socket of '{spec.Name}' was refused: that process is " +
                        $"'{_table.Services[other].Name}''s, not '{spec.Name}''s"
                    : $"a notify datagram from pid {pid} ({Comm(pid)}) on the socket of '{spec.Name}' was refused: that process is no " +
                        $"service's (only a service's own processes may notify)", now);
                continue;
            }
            var message = NotifyMessage.Parse(_buffer.AsSpan(0, length));
            Act(i, pid, message, ref runtimes, now, self);
        }
        return true;
    }

    /// <summary>
    /// Whether a datagram sent by <paramref name="uid"/> (SCM_CREDENTIALS) may be service <paramref name="i"/>'s: root,
    /// the user it is declared to run as (or Tend's), or the user its main process runs as now (a daemon started as
    /// root that drops to its own user, postgres under setpriv). The run's mark alone proves nothing: any process may
    /// read it in /proc/PID/limits and copy it (prlimit --rttime).
    /// </summary>
    private bool UidMayNotify(int i, ServiceRuntime r, uint uid) =>
        uid == 0 || uid == _uids[i] || (r.Run.Main is { } main && ProcFs.Uid(main.Pid) == uid);

    /// <summary>
    /// Whether <paramref name="pid"/>, still there, is not a process of run <paramref name="r"/>: it does not carry the
    /// run's mark (where marks are not available: it is neither the run's main process nor in one of its process
    /// groups). A sender gone by now (or a zombie) is no stranger: its uid was checked, and the socket is the service's.
    /// <paramref name="other"/>: the service whose run it belongs to instead, or -1.
    /// </summary>
    private static bool Stranger(int pid, ServiceRuntime r, ImmutableArray<ServiceRuntime> runtimes, out int other)
    {
        other = -1;
        var run = r.Run;
        // The mark first: the common case (the run's own process) reads one file and allocates nothing.
        var mark = run.Mark != 0 ? ProcFs.ReadMark(pid) : 0;
        if (run.Mark != 0 && mark == run.Mark) return false;
        if (!ProcFs.TryReadStat(pid, out var st) || st.Gone) return false;
        if (run.Mark != 0)
        {
            for (var j = 0; j < runtimes.Length; j++)
                if (!runtimes[j].IsDown && runtimes[j].Run.Mark == mark && mark != 0) other = j;
            return true;
        }
        if (run.Main!.Pid == pid || run.Groups.Contains(st.Pgid)) return false;
        return true;
    }

    /// <summary>Runs past the deadline they set themselves (WATCHDOG_USEC=) fail their liveness now, not at the declared check's next
    /// turn.</summary>
    private void Overdue(ImmutableArray<ServiceRuntime> runtimes, long now)
    {
        var due = long.MaxValue;
        for (var i = 0; i < _runs.Length; i++)
        {
            var run = _runs[i];
            var r = runtimes[i];
            if (run.DeadlineMs is not { } d || d == 0 || run.Starts != r.Starts || r.Phase != ServicePhase.Running || r.IsDown) continue;
            var at = Math.Max(run.LastPingAt, r.StartedAt) + d;
            if (now > at)
            {
                if (run.Failed == run.LastPingAt) continue; // said once per missed ping
                run.Failed = run.LastPingAt;
                WatchdogAlive(i, r, TimeSpan.FromMilliseconds(d), now, out var why);
                _results.Add(new ProbeResult(i, r.Starts, ProbePurpose.Alive, false, why));
            }
            else due = Math.Min(due, at + 1);
        }
        Interlocked.Exchange(ref _due, due);
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
            Refuse("malformed:" + spec.Name, () =>
                $"'{spec.Name}' (pid {pid}) sent {m.Ignored} notify assignment{(m.Ignored == 1 ? "" : "s")} Tend does not take (not " +
                    $"NAME=VALUE, or a value its name does not take): left out", now);
        if (m.MainPid is { } main) r = MainPid(i, r, main, self, now);
        if (m.Status is { Length: 0 } && r.NotifyStatus is not null)
        {
            // An empty STATUS= clears the status (systemd does the same).
            r = r with { NotifyStatus = null };
            _log.Service(spec.Name, EventNames.Notified, "status cleared (empty STATUS=)", pid, restarts: r.Restarts);
        }
        else if (m.Status is { Length: > 0 } status && status != r.NotifyStatus)
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
                _log.Service(spec.Name, EventNames.Notified, "reloaded (READY=1 after RELOADING=1): not a restart", pid,
                    restarts: r.Restarts);
            }
            if (spec.Ready?.Check.Kind == CheckKind.Notify && !r.Ready && r.Phase == ServicePhase.Running)
                _results.Add(new ProbeResult(i, r.Starts, ProbePurpose.Ready, true, null));
        }
        if (m.Stopping) _log.Service(spec.Name, EventNames.Notified, "stopping (STOPPING=1)", pid, restarts: r.Restarts);
        if (m.Errno is { } errno) _log.Service(spec.Name, EventNames.Notified,
            $"reports error {errno} (ERRNO={errno}: {Libc.ErrorText(errno)})", pid, restarts: r.Restarts, reason: $"ERRNO={errno}");
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
            else _log.Service(spec.Name, EventNames.Notified,
                $"asks for {more} more (EXTEND_TIMEOUT_USEC): Tend has no start timeout to extend", pid, restarts: r.Restarts);
        }
        if (spec.Alive is { Check.Kind: CheckKind.Watchdog })
        {
            if (m.WatchdogUsec is 0)
            {
                // systemd: WATCHDOG_USEC=0 turns the watchdog off for this run (sd_notify(3)); the next run has the declared one.
                run.DeadlineMs = 0;
                _log.Service(spec.Name, EventNames.Notified, "watchdog off for this run (WATCHDOG_USEC=0)", pid, restarts: r.Restarts);
            }
            else if (m.WatchdogUsec is { } usec)
            {
                run.DeadlineMs = (long)Math.Min(Math.Max(1, usec / 1000), int.MaxValue);
                run.Failed = -1;
                run.LastPingAt = now; // the new deadline runs from when it was set
                _log.Service(spec.Name, EventNames.Notified,
                    $"watchdog deadline set to {Duration.Format(TimeSpan.FromMilliseconds(run.DeadlineMs.Value))} (WATCHDOG_USEC)", pid,
                    restarts: r.Restarts);
            }
            if (m.Watchdog == WatchdogRequest.Ping) run.LastPingAt = now;
            else if (m.Watchdog == WatchdogRequest.Trigger && r.Phase == ServicePhase.Running)
                _results.Add(new ProbeResult(i, r.Starts, ProbePurpose.Alive, false, "the service asked for it (WATCHDOG=trigger)"));
        }
        if (!ReferenceEquals(r, runtimes[i])) runtimes = runtimes.SetItem(i, r); // a ping changes no runtime: no new array per datagram
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
            _log.Service(spec.Name, EventNames.Notified, $"MAINPID={pid} refused: no such process", r.Process?.Pid, restarts: r.Restarts,
                error: true);
            return r;
        }
        var owner = ProcFs.Uid(pid);
        if (owner >= 0 && owner != _uids[i] && owner != (r.Run.Main is { } main ? ProcFs.Uid(main.Pid) : -1))
        {
            // The mark can be copied (prlimit --rttime): a process of another user is never taken as the service's.
            _log.Service(spec.Name, EventNames.Notified,
                $"MAINPID={pid} refused: pid {pid} ({st.Comm}) runs as uid {owner}, not as '{spec.Name}''s user (uid {_uids[i]})",
                r.Process?.Pid, restarts: r.Restarts, error: true);
            return r;
        }
        st = st with { Mark = ProcFs.ReadMark(pid) };
        if (Identity.OnMainPid(r.Run, st, self, now) is not { } run)
        {
            _log.Service(spec.Name, EventNames.Notified,
                $"MAINPID={pid} refused: pid {pid} ({st.Comm}) is not a process of this run of '{spec.Name}'", r.Process?.Pid,
                restarts: r.Restarts, error: true);
            return r;
        }
        _log.Service(spec.Name, EventNames.Notified, $"main process is now pid {pid} ({st.Comm}) (MAINPID={pid})", pid,
            restarts: r.Restarts);
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

    private void Refuse(string kind, Func<string> message, long now)
    {
        Refused++;
        RefuseLog(kind, message, now);
    }

    /// <summary>Logs a refusal, at most once per <see cref="RefusalLogEveryMs"/> for each kind: a flood never floods the log.</summary>
    private void RefuseLog(string kind, Func<string> message, long now, bool error = true)
    {
        if (_refusals.TryGetValue(kind, out var seen) && now < seen.Until)
        {
            _refusals[kind] = (seen.Until, seen.Suppressed + 1);
            return;
        }
        var more = seen.Suppressed > 0 ? $" ({seen.Suppressed} more of this kind not logged)" : "";
        if (error) _log.Error(message() + more); // built only when logged: a flood of refusals allocates no text
        else _log.Info(message() + more);
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
        reason = deadline == 0 || since <= deadline ? null
            : run.Starts == r.Starts && run.LastPingAt > 0
                ? $"no WATCHDOG=1 for {Duration.Format(TimeSpan.FromMilliseconds(since))} " +
                    $"(deadline {Duration.Format(TimeSpan.FromMilliseconds(deadline))})"
            : $"no WATCHDOG=1 since it started {Duration.Format(TimeSpan.FromMilliseconds(since))} ago " +
                $"(deadline {Duration.Format(TimeSpan.FromMilliseconds(deadline))})";
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
        foreach (var fd in _fds) if (fd >= 0) _ = Libc.close(fd); // Linux releases the descriptor whatever close returns
        _ = Libc.close(_stopFd);
    }
}
