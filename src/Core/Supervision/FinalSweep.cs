using System.Diagnostics;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The last stage of a shutdown, once every service stopped: as PID 1, every process still in the container gets
/// SIGTERM, then SIGKILL after the longest stop timeout (what sysvinit's and s6-overlay's last stages do); not PID 1,
/// the same for what is left of this Tend's own runs (processes with its marks, <see cref="RunMarks.IsOurs"/>), and
/// nothing else.
/// </summary>
/// <param name="self">Tend's pid.</param>
/// <param name="log">Where to say what happens.</param>
/// <param name="waitForExit">Waits at most the given time (ms) for an exit of Tend's children, reaping what came.</param>
internal sealed class FinalSweep(int self, EventLog log, Action<int> waitForExit)
{
    /// <summary>How often (ms) to look again while waiting: grandchildren reaped by their own parents wake nobody.</summary>
    private const int LookIntervalMs = 20;

    /// <summary>Stops what is left and returns when none is (or SIGKILL's grace, <see cref="Reconciler.KillGraceMs"/>, ran out).</summary>
    /// <param name="timeoutMs">Time between SIGTERM and SIGKILL (the longest stop timeout of the services).</param>
    public void Run(long timeoutMs)
    {
        if (!AnyLeft()) return;
        log.Info($"stopping what is left {(self == 1 ? "in the container" : "of the services' processes")}: sent SIGTERM");
        SignalLeft(Libc.SIGTERM);
        if (WaitNoneLeft(Now + timeoutMs)) return;
        log.Info($"still running {timeoutMs}ms after SIGTERM: sent SIGKILL");
        SignalLeft(Libc.SIGKILL);
        WaitNoneLeft(Now + Reconciler.KillGraceMs);
    }

    private static long Now => MonotonicClock.NowMs;

    private bool AnyLeft() => self == 1 ? Libc.kill(-1, 0) == 0 : Ours().Any();

    private IEnumerable<ProcStat> Ours() => ProcFs.Snapshot(self).Where(p => !p.Gone && RunMarks.IsOurs(p.Mark));

    private void SignalLeft(int signal)
    {
        if (self == 1)
        {
            // kill(2): -1 reaches every process but PID 1 itself; ESRCH means none is left, which is what we want.
            if (Libc.kill(-1, signal) != 0 && Libc.LastError != Libc.ESRCH)
                log.Error($"cannot send {Signals.Name(signal)} to the processes left: {Libc.ErrorText(Libc.LastError)}");
            return;
        }
        foreach (var p in Ours())
            if (Libc.kill(p.Pid, signal) != 0 && Libc.LastError != Libc.ESRCH)
                log.Error($"cannot send {Signals.Name(signal)} to pid {p.Pid} ({p.Comm}): {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>Waits, reaping as exits come, until nothing is left or <paramref name="deadline"/>; true when nothing is left.</summary>
    private bool WaitNoneLeft(long deadline)
    {
        while (true)
        {
            if (!AnyLeft()) return true;
            var now = Now;
            if (now >= deadline) return false;
            waitForExit((int)Math.Min(LookIntervalMs, deadline - now));
        }
    }
}
