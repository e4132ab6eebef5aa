using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// The one writer of one of Tend's output descriptors (1 or 2) while it supervises: a thread that writes Tend's own
/// lines (queued, never waited for) and relays the services' pipes with <c>--log-prefix</c>, each line with its
/// service's name in front. Nobody else blocks on the descriptor: when the log sink stops reading, this thread waits
/// in write(2), the services' pipes fill and their writes wait (back-pressure), Tend's own lines beyond a bounded
/// queue are dropped and counted, and the supervisor, the control socket and the shutdown go on.
/// </summary>
/// <remarks>
/// A line is written in one piece and only by this thread, so lines never interleave on its descriptor. A run's
/// pipe ends when every process that holds its write end closed it (its end of file): then a last line without a
/// newline is completed with one. A line longer than fits in <see cref="MaxLine"/> bytes (prefix and newline
/// included, Docker's own 16 KiB limit, so Docker never cuts a line again) is split, on a UTF-8 character boundary
/// when the bytes are UTF-8; other bytes pass unchanged. A stream's bytes are written in the order read.
/// Of a read larger than the service's log ring, only the tail that can stay in the ring is kept line by line; the
/// lines before it are counted in bulk (<see cref="ServiceLogs.Skip"/>), unless log-line readiness or a follower needs
/// each line. The ring and its counters end as if every line had been kept.
/// </remarks>
internal sealed unsafe class OutputRelay
{
    /// <summary>The longest line written, prefix and newline included.</summary>
    public const int MaxLine = 16 * 1024;

    /// <summary>How many bytes of Tend's own lines may wait for the sink before further lines are dropped.</summary>
    public const int MaxQueued = 64 * 1024;

    /// <summary>How long a sink may take nothing before waiting for it at exit is given up.</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromMilliseconds(250);

    private const int ReadSize = 256 * 1024, OutSize = 512 * 1024;

    private static readonly Dictionary<int, OutputRelay> Relays = [];

    /// <summary>The relay of Tend's descriptor <paramref name="fd"/>, started on first use.</summary>
    public static OutputRelay For(int fd)
    {
        lock (Relays)
        {
            if (!Relays.TryGetValue(fd, out var relay)) Relays[fd] = relay = new OutputRelay(fd);
            return relay;
        }
    }

    private sealed class Source(int fd, byte[] prefix, bool raw, ServiceLogs? logs, int service, LogStream stream, int run)
    {
        public readonly int Fd = fd;
        public readonly byte[] Prefix = prefix;
        /// <summary>The bytes are written as read (no prefix, no framing): only the copy kept in <see cref="Logs"/> is cut into
        /// lines.</summary>
        public readonly bool Raw = raw;
        public readonly ServiceLogs? Logs = logs;
        public readonly int Service = service;
        public readonly LogStream Stream = stream;
        public readonly int Run = run;
        /// <summary>When the bytes being framed were read (ms since the Unix epoch).</summary>
        public long ReadAt;
        /// <summary>The lines of the read being framed (offset in the read buffer, length), kept in <see cref="Logs"/> together after
        /// it.</summary>
        public readonly List<(int Start, int Length)> Kept = [];
        /// <summary>The most bytes of a line on one output line.</summary>
        public readonly int MaxContent = Math.Max(64, MaxLine - prefix.Length - 1);
        /// <summary>The start of a line whose end has not been read yet (rented while there is one).</summary>
        public byte[]? Carry;
        public int CarryLength;
        /// <summary>While framing lines that the ring cannot keep (<see cref="SkipUnkept"/>): they are counted here, not kept.</summary>
        public bool Counting;
        public long CountedLines, CountedBytes;
    }

    private readonly int _fd;
    private readonly int _wake;
    private readonly object _gate = new();
    private readonly Queue<byte[]> _lines = new();
    private int _queuedBytes;
    private long _dropped, _droppedTotal;
    private readonly List<Source> _sources = [];
    private bool _sourcesChanged;
    private int _wakePending;
    private long _written;
    private byte[]? _in, _out;
    private int _outLength;

    /// <summary>
    /// What the relay of descriptor <paramref name="fd"/> did so far, for <c>/metrics</c>: bytes written (Tend's lines
    /// and, with <c>--log-prefix</c>, the services' relayed lines) and lines of Tend's own dropped for a stalled sink.
    /// Zeros when that descriptor has no relay (nothing was written through one); never starts one.
    /// </summary>
    public static (long WrittenBytes, long DroppedLines) Counters(int fd)
    {
        OutputRelay? relay;
        lock (Relays) Relays.TryGetValue(fd, out relay);
        if (relay is null) return (0, 0);
        lock (relay._gate) return (Interlocked.Read(ref relay._written), relay._droppedTotal);
    }

    /// <summary>Formats the line that reports <c>n</c> dropped lines of Tend's own, once the sink took the rest.</summary>
    public Func<long, byte[]> DroppedNotice { get; set; } =
        n => Encoding.UTF8.GetBytes($"tend: {PlainMessage.DroppedLines(n)}\n");

    /// <summary>A relay of its own for descriptor <paramref name="fd"/> (tests; Tend uses <see cref="For"/>).</summary>
    public OutputRelay(int fd)
    {
        _fd = fd;
        _wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0) throw new IOException($"eventfd: {Libc.ErrorText(Libc.LastError)}");
        new Thread(Loop) { IsBackground = true, Name = $"tend-out-{fd}" }.Start();
    }

    /// <summary>Queues one of Tend's own lines (ending in a newline); never blocks. False when it was dropped: the queue is full.</summary>
    public bool Post(byte[] line)
    {
        lock (_gate)
        {
            if (_queuedBytes + line.Length > MaxQueued)
            {
                _dropped++;
                _droppedTotal++;
                return false;
            }
            _lines.Enqueue(line);
            _queuedBytes += line.Length;
        }
        Wake();
        return true;
    }

    /// <summary>Relays <paramref name="fd"/> (the read end of a pipe, now this relay's to close) with <paramref name="prefix"/> before each
    /// line.</summary>
    public void Add(int fd, byte[] prefix) => Add(fd, prefix, raw: false, null, 0, LogStream.Stdout, 0);

    /// <summary>
    /// Relays <paramref name="fd"/> (the read end of a pipe, now this relay's to close): <paramref name="raw"/>, its bytes
    /// exactly as read; else each line with <paramref name="prefix"/> before it. Each line is also kept in
    /// <paramref name="logs"/> (when given) as a line of run <paramref name="run"/> of service <paramref name="service"/>.
    /// </summary>
    public void Add(int fd, byte[] prefix, bool raw, ServiceLogs? logs, int service, LogStream stream, int run)
    {
        Libc.fcntl(fd, Libc.F_SETFL, Libc.O_NONBLOCK);
        lock (_gate)
        {
            _sources.Add(new Source(fd, prefix, raw, logs, service, stream, run));
            _sourcesChanged = true;
        }
        Wake();
    }

    /// <summary>
    /// Waits until every pipe reached its end and every queued line was written; gives up after <paramref name="cap"/>,
    /// or sooner once the sink took nothing for <paramref name="stall"/> (a stalled sink is not worth waiting for).
    /// </summary>
    public bool WaitIdle(TimeSpan cap, TimeSpan stall)
    {
        var sw = Stopwatch.StartNew();
        var progress = Interlocked.Read(ref _written);
        var progressAt = sw.Elapsed;
        lock (_gate)
        {
            while (_sources.Count > 0 || _lines.Count > 0)
            {
                var now = sw.Elapsed;
                var written = Interlocked.Read(ref _written);
                if (written != progress) (progress, progressAt) = (written, now);
                if (now >= cap || now - progressAt >= stall) return false;
                Monitor.Wait(_gate, 10);
            }
        }
        return true;
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 1) return;
        ulong one = 1;
        Libc.write(_wake, (byte*)&one, 8);
    }

    private void Loop()
    {
        Source[] sources = [];
        var fds = new Libc.PollFd[1];
        while (true)
        {
            lock (_gate)
            {
                if (_sourcesChanged)
                {
                    sources = [.. _sources];
                    fds = new Libc.PollFd[sources.Length + 1];
                    _sourcesChanged = false;
                }
            }
            fds[0] = new Libc.PollFd { Fd = _wake, Events = Libc.POLLIN };
            for (var i = 0; i < sources.Length; i++) fds[i + 1] = new Libc.PollFd { Fd = sources[i].Fd, Events = Libc.POLLIN };
            int rc;
            fixed (Libc.PollFd* p = fds) rc = Libc.poll(p, (nuint)fds.Length, -1);
            if (rc < 0) continue;
            if (fds[0].Revents != 0)
            {
                ulong count;
                Libc.read(_wake, (byte*)&count, 8);
                Volatile.Write(ref _wakePending, 0);
            }
            WriteOwnLines();
            for (var i = 0; i < sources.Length; i++)
            {
                var revents = fds[i + 1].Revents;
                if (revents == 0) continue;
                // Writers gone: read to the end now, so a run's last bytes come before anything of the next run.
                if (Pump(sources[i], untilEnd: (revents & (Libc.POLLHUP | Libc.POLLERR)) != 0))
                {
                    Libc.close(sources[i].Fd);
                    lock (_gate)
                    {
                        _sources.Remove(sources[i]);
                        _sourcesChanged = true;
                        Monitor.PulseAll(_gate);
                    }
                }
                // Tend's own lines wait for one read of each service at most, never for a busy one to go quiet.
                WriteOwnLines();
            }
        }
    }

    /// <summary>Writes the queued lines of Tend's own; once the queue is empty after drops, says how many.</summary>
    private void WriteOwnLines()
    {
        while (true)
        {
            byte[] line;
            lock (_gate)
            {
                if (!_lines.TryPeek(out line!))
                {
                    if (_dropped == 0)
                    {
                        Monitor.PulseAll(_gate);
                        return;
                    }
                    line = DroppedNotice(_dropped);
                    _dropped = 0;
                    _lines.Enqueue(line);
                    _queuedBytes += line.Length;
                }
            }
            Write(line);
            lock (_gate)
            {
                _lines.Dequeue();
                _queuedBytes -= line.Length;
            }
        }
    }

    /// <summary>Reads what <paramref name="s"/> has (all of it to its end with <paramref name="untilEnd"/>) and writes its lines; true at
    /// its end.</summary>
    private bool Pump(Source s, bool untilEnd)
    {
        _in ??= new byte[MaxLine + ReadSize];
        if (!s.Raw) _out ??= new byte[OutSize]; // raw sources write what they read: no output buffer
        while (true)
        {
            var carried = s.CarryLength;
            if (carried > 0)
            {
                s.Carry.AsSpan(0, carried).CopyTo(_in);
                ArrayPool<byte>.Shared.Return(s.Carry!);
                s.Carry = null;
                s.CarryLength = 0;
            }
            nint n;
            fixed (byte* b = _in) n = Libc.read(s.Fd, b + carried, ReadSize);
            var error = n < 0 ? Libc.LastError : 0;
            // The end: every writer closed the pipe (0), or it failed for good.
            var end = n == 0 || (n < 0 && error is not (Libc.EAGAIN or Libc.EINTR));
            // Raw: the bytes go out as read, whatever the lines; framing below only feeds the log ring.
            if (s.Raw && n > 0) Write(_in.AsSpan(carried, (int)n));
            var data = _in.AsSpan(0, carried + (int)Math.Max(n, 0));
            if (s.Logs is not null)
            {
                s.ReadAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var unkept = Unkept(s, data, end);
                if (unkept > 0) SkipUnkept(s, data[..unkept]);
                data = data[unkept..];
            }
            Frame(s, data, atEnd: end);
            KeepLines(s);
            Flush();
            if (end) return true;
            if (n < 0 || !untilEnd) return false;
        }
    }

    /// <summary>Turns <paramref name="data"/> into prefixed lines in the output buffer; keeps an unfinished last line unless
    /// <paramref name="atEnd"/>.</summary>
    private void Frame(Source s, ReadOnlySpan<byte> data, bool atEnd)
    {
        while (data.Length > 0)
        {
            var nl = data.IndexOf((byte)'\n');
            var length = nl >= 0 ? nl : data.Length;
            if (nl < 0 && length <= s.MaxContent && !atEnd)
            {
                // The start of a line: kept for the next read (at most MaxContent bytes, whatever the line's length).
                s.Carry = ArrayPool<byte>.Shared.Rent(s.MaxContent);
                data.CopyTo(s.Carry);
                s.CarryLength = data.Length;
                return;
            }
            if (length > s.MaxContent)
            {
                var cut = Utf8Cut(data, s.MaxContent);
                Emit(s, data[..cut]);
                data = data[cut..];
                continue;
            }
            Emit(s, data[..length]);
            data = data[Math.Min(data.Length, length + 1)..];
        }
    }

    /// <summary>
    /// Where to cut <paramref name="data"/> (longer than <paramref name="max"/>) so that no UTF-8 character is split:
    /// before the character that would straddle the cut, or at <paramref name="max"/> when the bytes there are not UTF-8.
    /// </summary>
    internal static int Utf8Cut(ReadOnlySpan<byte> data, int max)
    {
        for (var cut = max; cut > max - 4 && cut > 0; cut--)
        {
            var b = data[cut];
            if ((b & 0xC0) != 0x80) return b >= 0xC0 || cut == max ? cut : max;
        }
        return max;
    }

    /// <summary>
    /// How many bytes at the start of <paramref name="data"/> hold whole lines that the source's ring could not keep
    /// after this read: the lines that start more than the ring's capacity before the end of the read's last whole line.
    /// Every line costs the ring its text and a header longer than a newline, so the lines after them fill the ring and
    /// push them out, together with every line kept before (<see cref="LogRing.Skip"/>). 0 when each line must be seen:
    /// the service's log-line readiness waits for this run, or <c>tend logs -f</c> follows the service.
    /// </summary>
    private static int Unkept(Source s, ReadOnlySpan<byte> data, bool atEnd)
    {
        var end = atEnd ? data.Length : data.LastIndexOf((byte)'\n') + 1;
        var from = end - s.Logs!.Capacity(s.Service);
        if (from <= 0 || s.Logs.NeedsEveryLine(s.Service, s.Run)) return 0;
        return data[..from].LastIndexOf((byte)'\n') + 1; // the start of the line at from: that one may be kept
    }

    /// <summary>
    /// Counts the lines of <paramref name="lines"/> (whole ones, each ending in a newline) as read and dropped, without
    /// keeping them: raw, with one vectorized count of the newlines (each line is one line of the ring unless it is longer
    /// than <see cref="Source.MaxContent"/>: then it is framed, as with <c>--log-prefix</c>, whose lines are written
    /// prefixed all the same).
    /// </summary>
    private void SkipUnkept(Source s, ReadOnlySpan<byte> lines)
    {
        long count, bytes;
        if (s.Raw && !MayHoldLongLine(lines, s.MaxContent))
        {
            count = CountNewlines(lines);
            bytes = lines.Length - count;
        }
        else
        {
            (s.Counting, s.CountedLines, s.CountedBytes) = (true, 0, 0);
            Frame(s, lines, atEnd: false);
            (s.Counting, count, bytes) = (false, s.CountedLines, s.CountedBytes);
        }
        s.Logs!.Skip(s.Service, count, bytes);
    }

    /// <summary>
    /// The newlines in <paramref name="data"/>: 16 bytes a step, each match subtracted from a counter per byte (at most 255
    /// steps before they are added up). Not <c>span.Count</c>: its vector path adds with POPCNT, which the NativeAOT build's
    /// baseline instruction set lacks on x64, and its software fallback cost more than the rest of the count (measured, perf).
    /// </summary>
    internal static int CountNewlines(ReadOnlySpan<byte> data)
    {
        var count = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(data);
            var newline = Vector128.Create((byte)'\n');
            while (data.Length - i >= Vector128<byte>.Count)
            {
                var counts = Vector128<byte>.Zero;
                var steps = Math.Min(255, (data.Length - i) / Vector128<byte>.Count);
                for (var k = 0; k < steps; k++, i += Vector128<byte>.Count)
                    counts -= Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)i), newline);
                count += Vector128.Sum(Vector128.WidenLower(counts) + Vector128.WidenUpper(counts));
            }
        }
        for (; i < data.Length; i++)
            if (data[i] == (byte)'\n') count++;
        return count;
    }

    /// <summary>
    /// Whether a line of <paramref name="lines"/> (whole ones) may be longer than <paramref name="max"/> bytes: a window
    /// of <c>max / 2</c> bytes at a multiple of its size holds no newline (a longer line holds such a window whole).
    /// </summary>
    internal static bool MayHoldLongLine(ReadOnlySpan<byte> lines, int max)
    {
        var window = max / 2;
        for (var at = 0; at + window <= lines.Length; at += window)
            if (!lines.Slice(at, window).Contains((byte)'\n')) return true;
        return false;
    }

    /// <summary>The most lines kept in the ring under one lock.</summary>
    private const int MaxBatch = 1024;

    /// <summary>Keeps the lines framed so far of this read in the source's ring: one lock for all of them, not one per line.</summary>
    private void KeepLines(Source s)
    {
        if (s.Kept.Count == 0) return;
        s.Logs!.Append(s.Service, s.Stream, s.Run, _in!, s.Kept, s.ReadAt);
        s.Kept.Clear();
    }

    private void Emit(Source s, ReadOnlySpan<byte> line)
    {
        if (s.Counting)
        {
            s.CountedLines++;
            s.CountedBytes += line.Length;
        }
        else if (s.Logs is not null)
        {
            s.Kept.Add(((int)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref _in![0],
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(line)), line.Length));
            // A read of short lines (256 KiB of empty ones) is kept in batches: the list stays small.
            if (s.Kept.Count == MaxBatch) KeepLines(s);
        }
        if (s.Raw) return;
        var size = s.Prefix.Length + line.Length + 1;
        if (_outLength + size > _out!.Length) Flush();
        s.Prefix.CopyTo(_out.AsSpan(_outLength));
        line.CopyTo(_out.AsSpan(_outLength + s.Prefix.Length));
        _out[_outLength + size - 1] = (byte)'\n';
        _outLength += size;
    }

    private void Flush()
    {
        if (_outLength == 0) return;
        Write(_out.AsSpan(0, _outLength));
        _outLength = 0;
    }

    /// <summary>Writes everything, waiting as long as the sink makes it; a sink that is gone (EPIPE) takes nothing more.</summary>
    private void Write(ReadOnlySpan<byte> bytes)
    {
        FdWriter.Write(_fd, bytes);
        Interlocked.Add(ref _written, bytes.Length);
    }
}
