using System.Text;
using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// With <c>--log-prefix</c>: each run of a service writes into two pipes of its own (stdout, stderr), relayed by
/// the writers of Tend's stdout and stderr (<see cref="OutputRelay"/>), each line prefixed with the service's name.
/// </summary>
/// <remarks>
/// A pipe per run, not per service: a run's output ends with that run. Tend keeps no write end open, so a pipe
/// reaches its end when every process of the run that holds it closed it or exited — the crashed process and what
/// it left (stopped before the restart), or the daemons a launcher handed over to, however long after the launcher
/// they live. Its last line without a newline is completed then, as a line of its own, and nothing of the next run
/// is ever glued to it. A process that outlives its run on purpose (a session the daemon started) keeps writing to
/// its run's pipe, still prefixed, never mixed into the next run's lines.
/// </remarks>
internal sealed class LogPump(IReadOnlyList<string> services) : IRunPipes
{
    private const int PipeSize = 256 * 1024;

    private readonly byte[][] _prefixes = [.. services.Select(s => Encoding.UTF8.GetBytes(s + " | "))];
    private readonly OutputRelay _stdout = OutputRelay.For(1), _stderr = OutputRelay.For(2);

    /// <summary>
    /// Pipes for a new run of service <paramref name="service"/>: returns their write ends (close-on-exec; the spawn
    /// hands them to the child as 1 and 2, and the caller closes them right after).
    /// </summary>
    /// <exception cref="Libc.Failure">No pipe could be made (its errno: EMFILE or ENFILE, the open-file limits).</exception>
    public unsafe (int Out, int Err) OpenRun(int service)
    {
        int* o = stackalloc int[2];
        int* e = stackalloc int[2];
        if (Libc.pipe2(o, Libc.O_CLOEXEC) != 0) throw new Libc.Failure(Libc.LastError, "creating a pipe failed");
        if (Libc.pipe2(e, Libc.O_CLOEXEC) != 0)
        {
            var error = Libc.LastError;
            Libc.close(o[0]);
            Libc.close(o[1]);
            throw new Libc.Failure(error, "creating a pipe failed");
        }
        // 256 KiB instead of 64: a busy service blocks less often, and the relay moves four times as much per system call
        // (the kernel allocates a pipe's pages only as they fill, so a quiet service costs nothing more).
        Libc.fcntl(o[0], Libc.F_SETPIPE_SZ, PipeSize);
        Libc.fcntl(e[0], Libc.F_SETPIPE_SZ, PipeSize);
        _stdout.Add(o[0], _prefixes[service]);
        _stderr.Add(e[0], _prefixes[service]);
        return (o[1], e[1]);
    }

    /// <summary>
    /// Waits until every run's pipes reached their end and were written out, at most <paramref name="timeout"/>, and
    /// only while the sinks take what is written (a stalled sink does not hold Tend's exit).
    /// </summary>
    public bool WaitDrained(TimeSpan timeout) =>
        _stdout.WaitIdle(timeout, OutputRelay.StallLimit) & _stderr.WaitIdle(timeout, OutputRelay.StallLimit);
}
