using System.Buffers.Binary;

namespace Tend.Logging;

/// <summary>
/// The last lines of one service's output, kept across its runs in at most <see cref="Capacity"/> bytes: each line is a
/// 24-byte header (sequence, time, run, stream, length) and its text, one after the other in a circular byte buffer.
/// When a line does not fit, the oldest lines go and are counted (<see cref="Dropped"/>). The buffer is native memory
/// (not the GC's), reserved at the service's first line and never moved or freed: the kernel gives a page memory at its
/// first write, and lines are written in order, so a quiet service costs a page or two and a busy one its capacity, never
/// more. (Growing it by doubling was measured to cost twice as much: the smaller buffers left behind were not reused.)
/// Not thread-safe: its owner (<see cref="ServiceLogs"/>) holds its lock.
/// </summary>
internal sealed unsafe class LogRing(int capacity)
{
    private byte* _memory;
    private int _length;
    private int _head, _used; // index of the oldest line's first byte, and the bytes kept from there on (wrapping around)
    private int _count;

    /// <summary>The most bytes kept, headers included.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>The bytes reserved for the buffer: 0 until the first line, then <see cref="Capacity"/> (pages cost memory once
    /// written).</summary>
    public int Allocated => _length;

    private Span<byte> Buffer => new(_memory, _length);

    /// <summary>The lines kept now.</summary>
    public int Count => _count;

    /// <summary>Lines that were dropped to make room (the oldest first), since the start.</summary>
    public long Dropped { get; private set; }

    /// <summary>Lines added since the start.</summary>
    public long Added { get; private set; }

    /// <summary>Bytes of text added since the start (newlines not counted).</summary>
    public long Bytes { get; private set; }

    /// <summary>The longest text a line may keep in a ring of <paramref name="capacity"/> bytes (the rest of a longer line is
    /// cut).</summary>
    public static int MaxText(int capacity) => Math.Max(0, capacity - LogEntry.Overhead);

    /// <summary>Keeps one line, dropping the oldest ones until it fits; a line longer than fits is cut to <see cref="MaxText"/>.</summary>
    public void Add(long sequence, long timeMs, LogStream stream, int run, ReadOnlySpan<byte> text)
    {
        Added++;
        Bytes += text.Length;
        if (Capacity < LogEntry.Overhead)
        {
            Dropped++;
            return;
        }
        if (text.Length > MaxText(Capacity)) text = text[..MaxText(Capacity)];
        var size = LogEntry.Overhead + text.Length;
        if (_length == 0) Reserve();
        while (_used + size > _length) DropOldest();
        var at = Wrap(_head + _used);
        // Where it fits before the buffer's end (nearly always), straight in; else in two pieces.
        Span<byte> header = at + size <= _length ? Buffer.Slice(at, LogEntry.Overhead) : stackalloc byte[LogEntry.Overhead];
        BinaryPrimitives.WriteInt64LittleEndian(header, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], timeMs);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], run);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], text.Length | ((int)stream << 24));
        if (at + size <= _length) text.CopyTo(Buffer[(at + LogEntry.Overhead)..]);
        else
        {
            CopyIn(at, header);
            CopyIn(Wrap(at + LogEntry.Overhead), text);
        }
        _used += size;
        _count++;
    }

    /// <summary>
    /// Counts <paramref name="lines"/> lines of <paramref name="bytes"/> bytes of text as added and dropped, and drops every line
    /// kept: what adding them would leave once the lines that follow them (whose size, headers included, is more than
    /// <see cref="Capacity"/>) are added. The caller (the relay) knows those lines follow.
    /// </summary>
    public void Skip(long lines, long bytes)
    {
        Added += lines;
        Bytes += bytes;
        Dropped += lines + _count;
        _count = 0;
        _used = 0;
    }

    /// <summary>The index of position <paramref name="p"/> (less than twice the length) in the buffer.</summary>
    private int Wrap(int p) => p >= _length ? p - _length : p;

    /// <summary>Every line kept, oldest first, with <paramref name="service"/> as their service.</summary>
    public void CopyTo(int service, List<LogEntry> into, long sinceMs = long.MinValue)
    {
        Span<byte> header = stackalloc byte[LogEntry.Overhead];
        for (int p = _head, left = _used; left > 0;)
        {
            CopyOut(p, header);
            var (entry, size) = Read(service, p, header);
            if (entry.TimeMs >= sinceMs) into.Add(entry);
            p = Wrap(p + size);
            left -= size;
        }
    }

    // Reading in bounded steps (tend logs): a reader holds the ring's lock only for one step of at most a budget of lines or bytes,
    // and keeps its place between steps in a LogCursor. Lines are never moved, so a cursor stays good as long as its line is
    // kept. Readers leave marks behind (every MarkEvery-th line they step on, and the furthest line any reached): the next
    // reader starts from the nearest mark, not from the oldest line, so reading the last lines costs the lines written since.

    /// <summary>A mark is left at every line whose index is a multiple of this (a few KiB of marks for a ring of 256 MiB).</summary>
    public const int MarkEvery = 4096;

    private readonly List<(LogCursor At, long TimeMs)> _marks = [];
    private LogCursor _reach;

    /// <summary>The index of the oldest line kept (0 for the first line ever added); <see cref="Added"/> is one past the newest.</summary>
    public long First => Added - _count;

    /// <summary>A cursor at the oldest line kept.</summary>
    public LogCursor Oldest => new(First, _head);

    /// <summary>When the oldest line kept was read (ms since the Unix epoch), or null when none is kept.</summary>
    public long? OldestTimeMs => _count == 0 ? null : TimeAt(_head);

    /// <summary>Moves a cursor whose line was dropped to the oldest line kept; returns how many lines it missed.</summary>
    public long Revalidate(ref LogCursor cursor)
    {
        var first = First;
        if (cursor.Line >= first) return 0;
        var missed = first - cursor.Line;
        cursor = Oldest;
        return missed;
    }

    /// <summary>Moves <paramref name="cursor"/> forward towards line <paramref name="target"/> (never past <see cref="Added"/>),
    /// stepping over at most <paramref name="budget"/> lines; true once it is there (or the target was dropped).</summary>
    public bool Seek(ref LogCursor cursor, long target, int budget)
    {
        Revalidate(ref cursor);
        target = Math.Min(target, Added);
        if (cursor.Line >= target) return true;
        Jump(ref cursor, target, long.MaxValue);
        for (; cursor.Line < target && budget > 0; budget--) Step(ref cursor);
        Reached(cursor);
        return cursor.Line >= target;
    }

    /// <summary>Moves <paramref name="cursor"/> forward to the first line read at or after <paramref name="sinceMs"/> (ms since the
    /// Unix epoch), stepping over at most <paramref name="budget"/> lines; true once it is there (or past the newest line).</summary>
    public bool SeekTime(ref LogCursor cursor, long sinceMs, int budget)
    {
        Revalidate(ref cursor);
        Jump(ref cursor, Added, sinceMs);
        for (; cursor.Line < Added && budget > 0; budget--)
        {
            if (TimeAt(cursor.Position) >= sinceMs) return true;
            Step(ref cursor);
        }
        Reached(cursor);
        return cursor.Line >= Added;
    }

    /// <summary>
    /// Copies the lines from <paramref name="cursor"/> on, up to line <paramref name="end"/> (excluded) and about
    /// <paramref name="maxBytes"/> bytes of text (at least one line), into <paramref name="into"/> with
    /// <paramref name="service"/> as their service, and moves the cursor past them. Returns how many lines were dropped
    /// before the cursor got to them.
    /// </summary>
    public long Read(int service, ref LogCursor cursor, long end, int maxBytes, List<LogEntry> into)
    {
        var from = cursor.Line;
        var missed = Revalidate(ref cursor);
        end = Math.Min(end, Added);
        // Only the lines of the window count as missed, not those a flood wrote and dropped after its end.
        if (missed > 0) missed = Math.Max(0, Math.Min(cursor.Line, end) - from);
        Span<byte> header = stackalloc byte[LogEntry.Overhead];
        for (var bytes = 0; cursor.Line < end && (bytes == 0 || bytes < maxBytes);)
        {
            CopyOut(cursor.Position, header);
            var (entry, size) = Read(service, cursor.Position, header);
            into.Add(entry);
            bytes += size;
            cursor = new LogCursor(cursor.Line + 1, Wrap(cursor.Position + size));
        }
        Reached(cursor);
        return missed;
    }

    /// <summary>Jumps to the furthest mark still kept that is ahead of <paramref name="cursor"/>, not past line
    /// <paramref name="target"/> and read before <paramref name="beforeMs"/>.</summary>
    private void Jump(ref LogCursor cursor, long target, long beforeMs)
    {
        var first = First;
        var drop = 0;
        while (drop < _marks.Count && _marks[drop].At.Line < first) drop++;
        _marks.RemoveRange(0, drop);
        if (_reach.Line >= first && _reach.Line > cursor.Line && _reach.Line <= target &&
            (beforeMs == long.MaxValue || _reach.Line < Added && TimeAt(_reach.Position) < beforeMs)) cursor = _reach;
        for (var k = _marks.Count - 1; k >= 0 && _marks[k].At.Line > cursor.Line; k--)
            if (_marks[k].At.Line <= target && _marks[k].TimeMs < beforeMs)
            {
                cursor = _marks[k].At;
                break;
            }
    }

    /// <summary>Steps to the next line, leaving a mark on every <see cref="MarkEvery"/>-th.</summary>
    private void Step(ref LogCursor cursor)
    {
        Span<byte> header = stackalloc byte[LogEntry.Overhead];
        CopyOut(cursor.Position, header);
        cursor = new LogCursor(cursor.Line + 1, Wrap(cursor.Position + LogEntry.Overhead +
            (BinaryPrimitives.ReadInt32LittleEndian(header[20..]) & 0xFFFFFF)));
        if (cursor.Line % MarkEvery == 0 && cursor.Line < Added && (_marks.Count == 0 || _marks[^1].At.Line < cursor.Line))
            _marks.Add((cursor, TimeAt(cursor.Position)));
    }

    private void Reached(LogCursor cursor)
    {
        if (cursor.Line > _reach.Line || _reach.Line < First) _reach = cursor;
    }

    private long TimeAt(int position)
    {
        Span<byte> header = stackalloc byte[LogEntry.Overhead];
        CopyOut(position, header);
        return BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
    }

    private (LogEntry Entry, int Size) Read(int service, int p, ReadOnlySpan<byte> header)
    {
        var lengthAndStream = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        var length = lengthAndStream & 0xFFFFFF;
        var text = new byte[length];
        CopyOut(Wrap(p + LogEntry.Overhead), text);
        return (new LogEntry(service, BinaryPrimitives.ReadInt64LittleEndian(header), BinaryPrimitives.ReadInt64LittleEndian(header[8..]),
            (LogStream)(lengthAndStream >>> 24), BinaryPrimitives.ReadInt32LittleEndian(header[16..]), text), LogEntry.Overhead + length);
    }

    private void DropOldest()
    {
        int lengthAndStream;
        if (_head + LogEntry.Overhead <= _length) lengthAndStream = BinaryPrimitives.ReadInt32LittleEndian(Buffer[(_head + 20)..]);
        else
        {
            Span<byte> header = stackalloc byte[LogEntry.Overhead];
            CopyOut(_head, header);
            lengthAndStream = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        }
        var size = LogEntry.Overhead + (lengthAndStream & 0xFFFFFF);
        _head = Wrap(_head + size);
        _used -= size;
        _count--;
        Dropped++;
    }

    /// <summary>Reserves the buffer: <see cref="Capacity"/> bytes, untouched (malloc takes them from the top of its heap, or maps
    /// them).</summary>
    private void Reserve()
    {
        _memory = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)Capacity);
        _length = Capacity;
    }

    private void CopyIn(int at, ReadOnlySpan<byte> data)
    {
        var first = Math.Min(data.Length, _length - at);
        data[..first].CopyTo(Buffer[at..]);
        data[first..].CopyTo(Buffer);
    }

    private void CopyOut(int at, Span<byte> data)
    {
        var first = Math.Min(data.Length, _length - at);
        Buffer.Slice(at, first).CopyTo(data);
        Buffer[..(data.Length - first)].CopyTo(data[first..]);
    }
}

/// <summary>A reader's place in a <see cref="LogRing"/>: a line's index (0 for the first line ever added) and the index in the
/// ring's buffer where its header starts (good while the line is kept: lines never move).</summary>
internal readonly record struct LogCursor(long Line, int Position);
