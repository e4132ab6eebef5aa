using System.Text;
using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// Each run of a service whose output is kept (<see cref="ServiceLogs"/>) or prefixed (<c>--log-prefix</c>) writes into
/// two pipes of its own (stdout, stderr), relayed by the writers of Tend's stdout and stderr (<see cref="OutputRelay"/>):
/// with <c>--log-prefix</c> each line prefixed with the service's name, otherwise the bytes exactly as written; each
/// line kept in the service's log ring.
/// </summary>
/// <remarks>
/// A pipe per run, not per service: a run's output ends with that run. Tend keeps no write end open, so a pipe
/// reaches its end when every process of the run that holds it closed it or exited — the crashed process and what
/// it left (stopped before the restart), or the daemons a launcher handed over to, however long after the launcher
/// they live. Its last line without a newline is completed then, as a line of its own, and nothing of the next run
/// is ever glued to it. A process that outlives its run on purpose (a session the daemon started) keeps writing to
/// its run's pipe, still prefixed, never mixed into the next run's lines.
/// </remarks>
internal sealed class LogPump(IReadOnlyList<string> services, bool prefix, ServiceLogs? logs) : IRunPipes
{
    /// <summary>A pump of <c>--log-prefix</c> that keeps nothing.</summary>
    public LogPump(IReadOnlyList<string> services) : this(services, true, null) { }

    private const int PipeSize = 256 * 1024;

    private readonly byte[][] _prefixes = [.. services.Select(s => prefix ? Encoding.UTF8.GetBytes(s + " | ") : [])];
    private readonly OutputRelay _stdout = OutputRelay.For(1), _stderr = OutputRelay.For(2);

    /// <summary>Whether the runs of service <paramref name="service"/> write into pipes of the pump (else where Tend writes).</summary>
    public bool Pipes(int service) => prefix || (logs?.Keeps(service) ?? false);

    /// <summary>
    /// Pipes for run <paramref name="run"/> of service <paramref name="service"/>: returns their write ends (close-on-exec;
    /// the spawn hands them to the child as 1 and 2, and the caller closes them right after); (-1, -1) when that
    /// service writes where Tend writes (<see cref="Pipes"/>).
    /// </summary>
    /// <exception cref="Libc.Failure">No pipe could be made (its errno: EMFILE or ENFILE, the open-file limits).</exception>
    public unsafe (int Out, int Err) OpenRun(int service, int run = 0)
    {
        if (!Pipes(service)) return (-1, -1);
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
        var kept = logs is not null && logs.Keeps(service) ? logs : null;
        _stdout.Add(o[0], _prefixes[service], !prefix, kept, service, LogStream.Stdout, run);
        _stderr.Add(e[0], _prefixes[service], !prefix, kept, service, LogStream.Stderr, run);
        return (o[1], e[1]);
    }

    /// <summary>
    /// Waits until every run's pipes reached their end and were written out, at most <paramref name="timeout"/>, and
    /// only while the sinks take what is written (a stalled sink does not hold Tend's exit).
    /// </summary>
    public bool WaitDrained(TimeSpan timeout) =>
        _stdout.WaitIdle(timeout, OutputRelay.StallLimit) & _stderr.WaitIdle(timeout, OutputRelay.StallLimit);
}
