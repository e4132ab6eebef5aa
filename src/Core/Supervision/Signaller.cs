using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Carries out what <see cref="Identity.Reach"/> decided: sends a signal to the process groups and processes that are
/// proven still a service's, and says in the log what each signal reached — never "sent" for one that was not.
/// Owns a pidfd (pidfd_open(2)) for every tracked process: a signal through it reaches that process or nothing, even
/// when its pid was handed to another process since.
/// </summary>
internal sealed class Signaller(EventLog log) : IDisposable
{
    private readonly Dictionary<int, int> _pidfds = [];

    /// <summary>Holds a pidfd for <paramref name="p"/>, a service's main process or launcher, from now on (when the kernel has pidfds:
    /// Linux 5.3).</summary>
    public void Track(TrackedProcess p)
    {
        if (_pidfds.ContainsKey(p.Pid)) return;
        var fd = Libc.pidfd_open(p.Pid);
        if (fd < 0) return;
        // A process found in /proc (a daemon, an adopted one) may have ended, and its pid gone to another, before the
        // pidfd was opened: keep the pidfd only if the pid still is that process.
        if (!p.Launched && !(ProcFs.TryReadStat(p.Pid, out var st) && p.Is(st)))
        {
            _ = Libc.close(fd);
            return;
        }
        _pidfds[p.Pid] = fd;
    }

    /// <summary>Closes the pidfds of processes that are no longer any service's main process or launcher.</summary>
    public void Retain(IReadOnlyList<ServiceRuntime> runtimes)
    {
        if (_pidfds.Count == 0) return;
        List<int>? drop = null;
        foreach (var pid in _pidfds.Keys)
        {
            var used = false;
            foreach (var r in runtimes)
                if (r.Run.Main?.Pid == pid || r.Run.Launcher?.Pid == pid) { used = true; break; }
            if (!used) (drop ??= []).Add(pid);
        }
        if (drop is null) return;
        foreach (var pid in drop)
        {
            _ = Libc.close(_pidfds[pid]);
            _pidfds.Remove(pid);
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to each target; <paramref name="thenContinue"/> follows each with SIGCONT, so that
    /// a stopped process gets it now (systemd.kill(5), SendSIGCONT). Returns what was reached and what failed (ESRCH is
    /// neither: the target ended, which is what a stop asks of it).
    /// </summary>
    public (List<string> Reached, List<string> Failed) Send(IEnumerable<SignalTarget> targets, int signal, bool thenContinue)
    {
        var reached = new List<string>();
        var failed = new List<string>();
        foreach (var t in targets)
        {
            if (Send(t, signal, out var errno))
            {
                reached.Add(t.ToString());
                if (thenContinue) _ = Send(t, Libc.SIGCONT, out _);
            }
            else if (errno != Libc.ESRCH) failed.Add($"{t} ({Libc.ErrorText(errno)})");
        }
        return (reached, failed);
    }

    /// <summary>Sends one signal to one target; false with errno when it reached nothing.</summary>
    public bool Send(SignalTarget t, int signal, out int errno)
    {
        errno = 0;
        if (t.IsGroup)
        {
            if (Libc.kill(-t.Id, signal) == 0) return true;
            errno = Libc.LastError;
            return false;
        }
        if (_pidfds.TryGetValue(t.Id, out var fd))
        {
            if (Libc.pidfd_send_signal(fd, signal) == 0) return true;
            errno = Libc.LastError;
            return false;
        }
        // No pidfd held: open one now, and prove the pid is still the process before signalling through it.
        fd = Libc.pidfd_open(t.Id);
        if (fd < 0 && Libc.LastError != Libc.ENOSYS)
        {
            errno = Libc.LastError;
            return false;
        }
        try
        {
            if (!ProcFs.TryReadStat(t.Id,
                out var st) || (t.StartTimeIsLowerBound ? st.StartTime < t.StartTime : st.StartTime != t.StartTime))
            {
                errno = Libc.ESRCH;
                return false;
            }
            // Without pidfds (Linux before 5.3), the start time just checked is the proof.
            var rc = fd >= 0 ? Libc.pidfd_send_signal(fd, signal) : Libc.kill(t.Id, signal);
            if (rc == 0) return true;
            errno = Libc.LastError;
            return false;
        }
        finally
        {
            if (fd >= 0) _ = Libc.close(fd);
        }
    }

    /// <summary>Logs what a signal to service <paramref name="name"/> reached (each target), and an error for what it could not.</summary>
    public void Report(string name, int signal, (List<string> Reached, List<string> Failed) sent, int? pid, string eventName, string what)
    {
        if (sent.Failed.Count > 0)
            log.Service(name, EventNames.SignalError, $"cannot send {Signals.Name(signal)} to {string.Join(", ", sent.Failed)}", pid,
                error: true);
        if (sent.Reached.Count > 0)
            log.Service(name, eventName, $"{what}: sent {Signals.Name(signal)} to {string.Join(", ", sent.Reached)}", pid);
    }

    public void Dispose()
    {
        foreach (var fd in _pidfds.Values) _ = Libc.close(fd);
        _pidfds.Clear();
    }
}
