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
