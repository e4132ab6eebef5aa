using System.Diagnostics;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Http;

/// <summary>
/// The opt-in, read-only HTTP endpoint (<c>--http ADDRESS:PORT</c>): health and metrics from the supervisor's latest
/// state. One thread of its own waits in poll(2) on the listener and its connections, all non-blocking, and never on
/// the supervisor: it reads the state the supervisor publishes after each round (<see cref="Supervisor.Latest"/>), so a
/// client — slow, hostile or many — can delay only other clients, never supervision.
/// </summary>
/// <remarks>
/// Bounded in everything a client controls: at most <see cref="MaxConnections"/> connections (a new one pushes out the
/// oldest, so a flood of idle connections cannot lock out a probe), a request head of at most
/// <see cref="HttpRequestHead.MaxHead"/> bytes (414, 431), <see cref="Deadline"/> to send it and take the answer (408,
/// then closed), one request per connection (<c>Connection: close</c>). With no connection open it waits without a
/// timeout: an idle endpoint costs no wake-up. Nothing is computed until asked: <c>/metrics</c> reads /proc at the scrape.
/// </remarks>
internal sealed class HttpEndpoint : IDisposable
{
    /// <summary>The most connections served at once; the oldest is closed to take a new one.</summary>
    public const int MaxConnections = 64;

    /// <summary>How long a connection may take to send its request and read the answer.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait before accepting again when the kernel refused a descriptor (EMFILE, ENFILE).</summary>
    private const int ShortagePauseMs = 100;

    private const int Backlog = 128;

    private sealed class Connection(int fd, long deadline, byte[] buffer)
    {
        public readonly int Fd = fd;
        public readonly long Deadline = deadline;
        public byte[]? In = buffer;
        public int Received;
        public byte[]? Out;
        public int Sent;
    }

    private readonly int _listener;
    private readonly int _wake;
    private readonly Func<SupervisorView?> _view;
    private readonly ServiceLogs? _logs;
    private readonly List<Connection> _connections = [];

    /// <summary>
    /// Request buffers of closed connections, reused: never more than <see cref="MaxConnections"/> exist, so a flood of
    /// connections allocates nothing after the first ones (the collector would take its time to give such garbage back).
    /// </summary>
    private readonly Stack<byte[]> _buffers = new();
    private volatile bool _closed;
    private long _acceptPausedUntil;
    private long _evicted, _timedOut, _answered;

    private HttpEndpoint(int listener, HttpAddress address, Func<SupervisorView?> view, ServiceLogs? logs)
    {
        _listener = listener;
        _view = view;
        _logs = logs;
        Port = Sockets.LocalPort(listener);
        Address = address.Format(Port);
        _wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0) throw new IOException($"eventfd: {Libc.ErrorText(Libc.LastError)}");
        new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "tend-http" }.Start();
    }

    /// <summary>Listens on <paramref name="address"/> and serves from <paramref name="view"/> (the supervisor's
    /// <see cref="Supervisor.Latest"/>) and <paramref name="logs"/> (its <see cref="Supervisor.Logs"/>: each service's log
    /// counters, read at the scrape).</summary>
    /// <exception cref="IOException">It cannot listen there (the address is in use, not this machine's, or needs root).</exception>
    public static HttpEndpoint Open(HttpAddress address, Func<SupervisorView?> view, ServiceLogs? logs = null) =>
        new(Sockets.ListenTcp(address.Address, address.Port, Backlog), address, view, logs);

    /// <summary>The port bound (the one asked for, or the kernel's choice for 0).</summary>
    public int Port { get; }

    /// <summary>Where it listens, <c>ADDRESS:PORT</c>.</summary>
    public string Address { get; }

    /// <summary>Connections closed to make room for newer ones, closed at their deadline, and requests answered, so far.</summary>
    public (long Evicted, long TimedOut, long Answered) Counters => (Interlocked.Read(ref _evicted), Interlocked.Read(ref _timedOut),
        Interlocked.Read(ref _answered));

    private unsafe void Loop()
    {
        var fds = new Libc.PollFd[MaxConnections + 2];
        var polled = new Connection[MaxConnections];
        while (!_closed)
        {
            var now = Supervisor.Now;
            var n = 0;
            fds[n++] = new Libc.PollFd { Fd = _wake, Events = Libc.POLLIN };
            var listening = now >= _acceptPausedUntil;
            fds[n++] = new Libc.PollFd { Fd = listening ? _listener : -1, Events = Libc.POLLIN };
            var wake = listening ? long.MaxValue : _acceptPausedUntil;
            foreach (var c in _connections)
            {
                polled[n - 2] = c;
                fds[n++] = new Libc.PollFd { Fd = c.Fd, Events = c.Out is null ? Libc.POLLIN : Libc.POLLOUT };
                wake = Math.Min(wake, c.Deadline);
            }
            var timeout = wake == long.MaxValue ? -1 : (int)Math.Clamp(wake - now, 0, int.MaxValue);
            int ready;
            fixed (Libc.PollFd* p = fds) ready = Libc.poll(p, (nuint)n, timeout);
            if (_closed) break;
            if (ready < 0) continue; // EINTR: look again
            now = Supervisor.Now;
            for (var k = 2; k < n; k++)
                if (fds[k].Revents != 0) Progress(polled[k - 2], now);
            Array.Clear(polled);
            foreach (var c in _connections.Where(c => now >= c.Deadline).ToList()) Expire(c);
            if ((fds[1].Revents & Libc.POLLIN) != 0) AcceptWaiting(now);
        }
    }

    /// <summary>Takes the connections waiting (at most a connection table's worth per wake-up, so reading goes on during a
    /// flood).</summary>
    private void AcceptWaiting(long now)
    {
        for (var k = 0; k < MaxConnections; k++)
        {
            var fd = Sockets.TryAccept(_listener);
            if (fd == -1) return;
            if (fd == -2)
            {
                _acceptPausedUntil = now + ShortagePauseMs;
                return;
            }
            if (_connections.Count >= MaxConnections)
            {
                Close(_connections[0]);
                Interlocked.Increment(ref _evicted);
            }
            var c = new Connection(fd, now + (long)Deadline.TotalMilliseconds,
                _buffers.TryPop(out var buffer) ? buffer : new byte[HttpRequestHead.MaxHead]);
            _connections.Add(c);
            // Most requests are there with the connection: answer without another round of poll.
            Progress(c, now);
        }
    }

    private void Progress(Connection c, long now)
    {
        if (c.Out is null)
        {
            var n = Sockets.TryReceive(c.Fd, c.In.AsSpan(c.Received));
            if (n == -1) return;
            if (n <= 0)
            {
                Close(c); // the client went away, or shut its side before a whole request
                return;
            }
            c.Received += n;
            var parsed = HttpRequestHead.Parse(c.In.AsSpan(0, c.Received), out var head);
            if (parsed == HttpParse.Incomplete) return;
            Release(c);
            Interlocked.Increment(ref _answered);
            c.Out = Answer(head!, now).Bytes(head!.Method == "HEAD", head.Http10);
        }
        var sent = Sockets.TrySend(c.Fd, c.Out.AsSpan(c.Sent));
        if (sent < 0)
        {
            Close(c);
            return;
        }
        c.Sent += sent;
        if (c.Sent < c.Out.Length) return;
        Sockets.ShutdownWrite(c.Fd);
        Close(c);
    }

    private HttpAnswer Answer(HttpRequestHead head, long now)
    {
        var view = _view() is { } v ? v with { Now = now } : (SupervisorView?)null;
        try
        {
            return HttpAnswers.For(head, view, (v, openMetrics) => Metrics(v, openMetrics, _logs));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // /proc changed under the read (a process gone mid-scrape): the scraper asks again.
            return HttpAnswer.Text(503, $"metrics could not be read: {PlainMessage.Of(e)}");
        }
    }

    private static string Metrics(SupervisorView view, bool openMetrics, ServiceLogs? logs)
    {
        var (outBytes, outDropped) = OutputRelay.Counters(1);
        var (errBytes, errDropped) = OutputRelay.Counters(2);
        var wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        // Only the services whose output Tend reads have counters: the others write to Tend's descriptors themselves.
        LogStats?[]? kept = logs is null ? null
            : [.. Enumerable.Range(0, view.Table.Count).Select(i => i < logs.Count && logs.Keeps(i) ? logs.Stats(i) : (LogStats?)null)];
        return MetricsText.Write(view, wall, ServiceUsage.Measure(view.Runtimes), new MetricsText.LogCounters(outBytes, errBytes,
            outDropped, errDropped), openMetrics, kept);
    }

    /// <summary>Past its deadline: a request still coming gets a 408 if the socket takes it now; then the connection closes.</summary>
    private void Expire(Connection c)
    {
        Interlocked.Increment(ref _timedOut);
        if (c.Out is null) _ = Sockets.TrySend(c.Fd, HttpAnswer.Text(408,
            $"no whole request within {Duration.Format(Deadline)}").Bytes(false, true));
        Close(c);
    }

    private void Release(Connection c)
    {
        if (c.In is null) return;
        c.Received = 0;
        _buffers.Push(c.In);
        c.In = null;
    }

    private void Close(Connection c)
    {
        Release(c);
        _connections.Remove(c);
        _ = Libc.close(c.Fd); // Linux releases the descriptor whatever close returns
    }

    /// <summary>Stops serving: the thread ends at its next wake-up, which this causes; the listener closes with the process.</summary>
    public unsafe void Dispose()
    {
        if (_closed) return;
        _closed = true;
        ulong one = 1;
        _ = Libc.write(_wake, (byte*)&one, 8); // an eventfd takes 8 bytes; it cannot be full after one write
    }
}
