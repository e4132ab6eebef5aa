using System.Collections.Concurrent;

namespace Tend.Posix;

/// <summary>
/// Reaps every child (and every orphan re-parented to Tend) the moment it exits, without SIGCHLD: a thread blocks
/// in <c>waitid(P_ALL, WEXITED)</c>, so the zombie is gone when the call returns, with nothing between the wake-up
/// and the reap. Only then does it ask whether the supervisor cares (<c>mustReport</c>: a service's process, a
/// readiness check, or a process group being cleaned up); if so, the pid and status are queued for the supervisor
/// and it is woken. An orphan nobody relies on costs the supervisor nothing.
/// When Tend has no child, the thread sleeps until the next spawn.
/// </summary>
/// <remarks>
/// The supervisor signals pids and process groups it learns of exits later than the kernel freed them. That is
/// what every supervisor that reaps in its wait loop does (tini, runit, s6): Linux hands out pids cyclically, so a
/// pid freed here is only given to a new process after the whole pid range went round.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable",
    Justification =
        "A Reaper lives as long as Tend: its thread reaps for ever (Run does not return) and may be blocked on the event, so there is no " +
            "moment to dispose it.")]
internal sealed unsafe class Reaper
{
    private readonly AutoResetEvent _spawned = new(false);
    private readonly ConcurrentQueue<(int Pid, ExitStatus Status)> _exits = new();
    private readonly Func<int, bool> _mustReport;
    private readonly Action _reported;
    private volatile bool _childless;

    /// <param name="mustReport">Whether the supervisor must hear of this reaped pid (called on this thread, after the reap).</param>
    /// <param name="reported">Wakes the supervisor: an exit it must hear of is queued (called on this thread).</param>
    /// <param name="ownThread">Starts a background thread that reaps; otherwise the caller gives one to <see cref="Run"/>.</param>
    public Reaper(Func<int, bool> mustReport, Action reported, bool ownThread)
    {
        _mustReport = mustReport;
        _reported = reported;
        if (ownThread) new Thread(Run) { IsBackground = true, Name = "tend-reaper" }.Start();
    }

    /// <summary>Takes the next reaped exit the supervisor must hear of; false when there is none.</summary>
    public bool TryTake(out int pid, out ExitStatus status)
    {
        var took = _exits.TryDequeue(out var exit);
        (pid, status) = exit;
        return took;
    }

    /// <summary>
    /// Called after a spawn: wakes the thread only when it sleeps for lack of children; otherwise it is already
    /// blocked in waitid, which sees the new child by itself (a wake-up per spawn would cost a context switch).
    /// </summary>
    public void Spawned()
    {
        if (_childless) _spawned.Set();
    }

    /// <summary>
    /// Reaps on the calling thread, for ever. Best on the process's main thread: the kernel re-parents orphans to
    /// it, and waitid looks at the calling thread's children first, so an orphan's exit is found without walking
    /// the services (children of the thread that spawned them).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Run()
    {
        while (true)
        {
            Libc.SigInfo info = default;
            var rc = Libc.waitid(Libc.P_ALL, 0, &info, Libc.WEXITED);
            if (rc == 0)
            {
                if (info.Pid != 0 && _mustReport(info.Pid))
                {
                    _exits.Enqueue((info.Pid,
                        info.Code == Libc.CLD_EXITED ? ExitStatus.Exited(info.Status) : ExitStatus.Killed(info.Status)));
                    _reported();
                }
            }
            else if (Libc.LastError == Libc.ECHILD)
            {
                // A spawn between waitid's ECHILD and this flag would be missed, so look once more after setting it.
                _childless = true;
                rc = Libc.waitid(Libc.P_ALL, 0, &info, Libc.WEXITED | Libc.WNOWAIT | Libc.WNOHANG);
                if (rc != 0 && Libc.LastError == Libc.ECHILD) _spawned.WaitOne();
                _childless = false;
            }
            // Anything but EINTR (EINVAL, EFAULT) is a bug in the call itself: it would fail the same way for ever.
            else if (Libc.LastError != Libc.EINTR) throw new Libc.Failure(Libc.LastError, "waitid(P_ALL, WEXITED)");
        }
    }
}
