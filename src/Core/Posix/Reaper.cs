namespace Tend.Posix;

/// <summary>
/// Learns that a child (or an orphan re-parented to Tend) has exited, without SIGCHLD: a thread blocks in
/// <c>waitid(P_ALL, WEXITED | WNOWAIT)</c>, which leaves the zombie in place, tells the supervisor, and waits
/// until the supervisor has reaped. All reaping and spawning thus happen on the supervisor's thread, so a
/// pid cannot be reused between its exit and the supervisor's bookkeeping. When Tend has no child, the
/// thread sleeps until the next spawn.
/// </summary>
internal sealed unsafe class Reaper
{
    private readonly AutoResetEvent _resume = new(false);
    private readonly Action _childReady;
    private volatile bool _childless;

    public Reaper(Action childReady)
    {
        _childReady = childReady;
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
