using System.Text;
using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// With <c>--log-prefix</c>: each service writes into pipes; one thread polls them all and writes every line,
/// prefixed with the service name, to Tend's stdout or stderr in a single write(2) — lines are never torn or
/// interleaved, and a last line without a newline is still written when the pipe closes.
/// </summary>
internal sealed unsafe class LogPump
{
    private const int MaxLine = 16 * 1024;

    private sealed class Source(int fd, byte[] prefix, int outFd)
    {
        public readonly int Fd = fd;
        public readonly byte[] Prefix = prefix;
        public readonly int OutFd = outFd;
        public readonly byte[] Buffer = new byte[MaxLine];
        public int Length;
    }

    private readonly object _gate = new();
    private readonly List<Source> _sources = [];
    private readonly int _wakeRead, _wakeWrite;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _empty = new(true);

    public LogPump()
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0) throw new IOException($"pipe2: {Libc.ErrorText(Libc.LastError)}");
        _wakeRead = fds[0];
        _wakeWrite = fds[1];
        _thread = new Thread(Loop) { IsBackground = true, Name = "tend-logs" };
        _thread.Start();
    }

    /// <summary>Creates a pipe for one stream of a service; returns the write end for the child (Tend keeps it open).</summary>
    public int Open(string service, int outFd)
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0) throw new IOException($"creating a pipe failed ({Libc.ErrorText(Libc.LastError)})");
        lock (_gate)
        {
            _sources.Add(new Source(fds[0], Encoding.UTF8.GetBytes(service + " | "), outFd));
            _empty.Reset();
        }
        Wake();
        return fds[1];
    }

    /// <summary>Waits until every pipe reached end of file (all writers closed), at most <paramref name="timeout"/>.</summary>
    public bool WaitDrained(TimeSpan timeout) => _empty.Wait(timeout);

    private void Wake()
    {
        byte b = 1;
        // A lost wake-up would leave a new service's pipe unread until the next one: retry, and fail loudly otherwise.
        while (Libc.write(_wakeWrite, &b, 1) < 0)
            if (Libc.LastError != Libc.EINTR) throw new Libc.Failure(Libc.LastError, "cannot wake the log thread (write to its pipe)");
    }

    private void Loop()
    {
        var buffer = new byte[MaxLine];
        while (true)
        {
            Source[] sources;
            lock (_gate) sources = [.. _sources];
            var fds = new Libc.PollFd[sources.Length + 1];
            fds[0] = new Libc.PollFd { Fd = _wakeRead, Events = Libc.POLLIN };
            for (var i = 0; i < sources.Length; i++) fds[i + 1] = new Libc.PollFd { Fd = sources[i].Fd, Events = Libc.POLLIN };
            int rc;
            fixed (Libc.PollFd* p = fds) rc = Libc.poll(p, (nuint)fds.Length, -1);
            if (rc < 0) continue;
            if (fds[0].Revents != 0)
            {
                // Only empties the wake pipe: whatever it read (or EINTR), the loop polls every source again.
                fixed (byte* b = buffer) _ = Libc.read(_wakeRead, b, buffer.Length);
            }
            for (var i = 0; i < sources.Length; i++)
            {
                if (fds[i + 1].Revents == 0) continue;
                var s = sources[i];
                nint n;
                fixed (byte* b = buffer) n = Libc.read(s.Fd, b, buffer.Length);
                if (n > 0) Consume(s, buffer.AsSpan(0, (int)n));
                else if (n == 0 || Libc.LastError is not (Libc.EINTR or Libc.EAGAIN))
                {
                    if (s.Length > 0) Emit(s, s.Buffer.AsSpan(0, s.Length));
                    s.Length = 0;
                    // Ignored: the read end of a pipe has nothing to flush, and Linux frees the descriptor even when close fails.
                    _ = Libc.close(s.Fd);
                    lock (_gate)
                    {
                        _sources.Remove(s);
                        if (_sources.Count == 0) _empty.Set();
                    }
                }
            }
        }
    }

    private static void Consume(Source s, ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            var nl = data.IndexOf((byte)'\n');
            var take = nl >= 0 ? nl : data.Length;
            if (s.Length + take > MaxLine)
            {
                // A line longer than the buffer: write what we have as its own line rather than grow without bound.
                take = MaxLine - s.Length;
                data[..take].CopyTo(s.Buffer.AsSpan(s.Length));
                Emit(s, s.Buffer);
                s.Length = 0;
                data = data[take..];
                continue;
            }
            data[..take].CopyTo(s.Buffer.AsSpan(s.Length));
            s.Length += take;
            if (nl < 0) return;
            Emit(s, s.Buffer.AsSpan(0, s.Length));
            s.Length = 0;
            data = data[(nl + 1)..];
        }
    }

    private static void Emit(Source s, ReadOnlySpan<byte> line)
    {
        var output = new byte[s.Prefix.Length + line.Length + 1];
        s.Prefix.CopyTo(output, 0);
        line.CopyTo(output.AsSpan(s.Prefix.Length));
        output[^1] = (byte)'\n';
        FdWriter.Write(s.OutFd, output);
    }
}
