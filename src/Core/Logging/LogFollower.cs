using System.Buffers.Binary;

namespace Tend.Logging;

/// <summary>
/// One client of <c>tend logs -f</c>: the lines of the services it follows, queued by the relay (which never waits for
/// it) and taken by the client's own thread. The queue is bytes, not objects: two buffers of at most <see cref="HalfBytes"/>
/// each, one filled by the relay while the client's thread sends the other, so a follower costs at most
/// <see cref="MaxQueued"/> bytes whatever its lines, and the relay allocates nothing per line. A client that reads slower
/// than the services write loses lines, counted and reported to it; nothing else waits.
/// </summary>
internal sealed class LogFollower(bool[] services) : IDisposable
{
    /// <summary>The most bytes queued for one client (both buffers, each line's 28-byte header included).</summary>
    public const int MaxQueued = 2 * HalfBytes;

    /// <summary>The most bytes of one buffer.</summary>
    public const int HalfBytes = 64 * 1024;

    /// <summary>A queued line's header: service, sequence, time, run, length and stream.</summary>
    private const int Header = 28;

    private byte[] _fill = [];
    private int _filled;
    private byte[] _spare = [];
    private long _dropped;

    /// <summary>Rung when a line is queued.</summary>
    public Doorbell Bell { get; } = new();

    /// <summary>Whether it follows service <paramref name="service"/>.</summary>
    public bool Follows(int service) => services[service];

    /// <summary>Queues a line, or counts it dropped when the queue is full; never blocks but for the queue's lock.</summary>
    public void Offer(int service, long sequence, long timeMs, LogStream stream, int run, ReadOnlySpan<byte> text)
    {
        var size = Header + text.Length;
        lock (this)
        {
            if (_filled + size > HalfBytes) _dropped++;
            else
            {
                if (_filled + size > _fill.Length)
                {
                    // Grown by doubling: a quiet follower costs a few KiB, a busy one up to HalfBytes.
                    var grown = new byte[Math.Min(HalfBytes, Math.Max(4096, Math.Max(_fill.Length * 2, _filled + size)))];
                    _fill.AsSpan(0, _filled).CopyTo(grown);
                    _fill = grown;
                }
                var at = _fill.AsSpan(_filled);
                BinaryPrimitives.WriteInt32LittleEndian(at, service);
                BinaryPrimitives.WriteInt64LittleEndian(at[4..], sequence);
                BinaryPrimitives.WriteInt64LittleEndian(at[12..], timeMs);
                BinaryPrimitives.WriteInt32LittleEndian(at[20..], run);
                BinaryPrimitives.WriteInt32LittleEndian(at[24..], text.Length | ((int)stream << 24));
                text.CopyTo(at[Header..]);
                _filled += size;
            }
        }
        Bell.Ring();
    }

    /// <summary>
    /// Takes every queued line: first the count of lines dropped since the last take to <paramref name="dropped"/> (when
    /// any), then each line, oldest first, to <paramref name="line"/>; stops at the first false (the client went away) and
    /// returns false. The buffer taken becomes the one filled next, so taking allocates nothing but the lines handed out.
    /// </summary>
    public bool TakeAll(Func<long, bool> dropped, Func<LogEntry, bool> line)
    {
        byte[] taken;
        int length;
        long lost;
        lock (this)
        {
            (taken, length, lost) = (_fill, _filled, _dropped);
            (_fill, _filled, _dropped) = (_spare, 0, 0);
        }
        try
        {
            if (lost > 0 && !dropped(lost)) return false;
            for (var p = 0; p < length;)
            {
                var at = taken.AsSpan(p);
                var lengthAndStream = BinaryPrimitives.ReadInt32LittleEndian(at[24..]);
                var n = lengthAndStream & 0xFFFFFF;
                if (!line(new LogEntry(BinaryPrimitives.ReadInt32LittleEndian(at), BinaryPrimitives.ReadInt64LittleEndian(at[4..]),
                    BinaryPrimitives.ReadInt64LittleEndian(at[12..]), (LogStream)(lengthAndStream >>> 24),
                    BinaryPrimitives.ReadInt32LittleEndian(at[20..]), at.Slice(Header, n).ToArray()))) return false;
                p += Header + n;
            }
            return true;
        }
        finally
        {
            lock (this) _spare = taken;
        }
    }

    /// <summary>Closes its doorbell.</summary>
    public void Dispose() => Bell.Dispose();
}
