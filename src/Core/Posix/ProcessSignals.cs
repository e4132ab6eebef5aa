namespace Tend.Posix;

/// <summary>Sending a signal to a process group, or to one process.</summary>
internal static class ProcessSignals
{
    /// <summary>
    /// Sends <paramref name="signal"/> to process group <paramref name="pgid"/> when it is one (&gt; 0) and that works,
    /// else to <paramref name="pid"/> alone. Returns what was reached ("process group N" or "pid N"), or null with
    /// <paramref name="errno"/> when not even the process could be signalled (kill(2): ESRCH, EPERM).
    /// </summary>
    public static string? GroupElsePid(int pgid, int pid, int signal, out int errno)
    {
        errno = 0;
        if (pgid > 0 && Libc.kill(-pgid, signal) == 0) return $"process group {pgid}";
        if (Libc.kill(pid, signal) == 0) return $"pid {pid}";
        errno = Libc.LastError;
        return null;
    }
}
