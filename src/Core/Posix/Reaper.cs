namespace Tend.Posix;

/// <summary>
/// Learns that a child (or an orphan re-parented to Tend) has exited, without SIGCHLD: a thread blocks in
/// <c>waitid(P_ALL, WEXITED | WNOWAIT)</c>, which leaves the zombie in place. An exit nobody waits for (an orphan)
/// is reaped at once on this thread when the supervisor allows it (<c>reapIfOrphan</c>); any other exit is
/// handed to the supervisor, and the thread waits until the supervisor has reaped. A pid the supervisor relies
/// on is thus only ever reaped by the supervisor, so it cannot be reused before the supervisor's bookkeeping.
/// When Tend has no child, the thread sleeps until the next spawn.
/// </summary>
internal sealed unsafe class Reaper
{
    private readonly AutoResetEvent _resume = new(false);
    private readonly Action _childReady;
    private readonly Func<int, bool> _reapIfOrphan;
    private volatile bool _childless;

    /// <param name="childReady">Tells the supervisor that a child it may care about has exited (called on this thread).</param>
    /// <param name="reapIfOrphan">Reaps the zombie with this pid when nothing depends on it; true when it did (called on this thread).</param>
    public Reaper(Action childReady, Func<int, bool> reapIfOrphan)
    {
        _childReady = childReady;
        _reapIfOrphan = reapIfOrphan;
        var thread = new Thread(Loop) { IsBackground = true, Name = "tend-reaper" };
        thread.Start();
    }

    /// <summary>Called after the supervisor reaped what there was.</summary>
    public void Resume() => _resume.Set();

    /// <summary>
    /// Called after a spawn: wakes the thread only when it sleeps for lack of children; otherwise it is already
    /// blocked in waitid, which sees the new child by itself (a wake-up per spawn would cost a context switch).
    /// </summary>
    public void Spawned()
    {
        if (_childless) _resume.Set();
    }

    private void Loop()
    {
        while (true)
        {
            Libc.SigInfo info = default;
            var rc = Libc.waitid(Libc.P_ALL, 0, &info, Libc.WEXITED | Libc.WNOWAIT);
            if (rc == 0)
            {
                // An orphan is reaped right here, without waking the supervisor: the shortest path from exit to reap.
                if (_reapIfOrphan(info.Pid)) continue;
                _childReady();
                _resume.WaitOne();
            }
            else if (Libc.LastError == Libc.ECHILD)
            {
                // A spawn between waitid's ECHILD and this flag would be missed, so look once more after setting it.
                _childless = true;
                rc = Libc.waitid(Libc.P_ALL, 0, &info, Libc.WEXITED | Libc.WNOWAIT | Libc.WNOHANG);
                if (rc != 0 && Libc.LastError == Libc.ECHILD) _resume.WaitOne();
                _childless = false;
            }
        }
    }

    /// <summary>Reaps the exited child <paramref name="pid"/> without blocking; false when it is not (or no longer) a zombie child.</summary>
    public static bool TryReap(int pid)
    {
        while (true)
        {
            Libc.SigInfo info = default;
            var rc = Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED | Libc.WNOHANG);
            if (rc < 0 && Libc.LastError == Libc.EINTR) continue;
            return rc == 0 && info.Pid == pid;
        }
    }

    /// <summary>Reaps one exited child without blocking; false when there is none.</summary>
    public static bool TryReap(out int pid, out Supervision.ExitStatus status)
    {
        while (true)
        {
            Libc.SigInfo info = default;
            var rc = Libc.waitid(Libc.P_ALL, 0, &info, Libc.WEXITED | Libc.WNOHANG);
            if (rc < 0 && Libc.LastError == Libc.EINTR) continue;
            pid = info.Pid;
            status = info.Code == Libc.CLD_EXITED ? Supervision.ExitStatus.Exited(info.Status) : Supervision.ExitStatus.Killed(info.Status);
            return rc == 0 && info.Pid != 0;
        }
    }
}
