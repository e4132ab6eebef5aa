using System.Text;
using System.Text.RegularExpressions;

namespace Tend.Logging;

/// <summary>
/// Every service's recent output: a <see cref="LogRing"/> per service, kept across its runs (a crashed run's last
/// lines, a one-shot's and a scheduled task's output included), filled by the relay threads as they read the services'
/// pipes; read by <c>tend logs</c>, followed by <c>tend logs -f</c>, matched by log-line readiness
/// (<see cref="Readiness.LogLine"/>) and quoted in the termination log. Thread-safe: each ring has its lock, held only
/// to copy one line in or the lines out.
/// </summary>
internal sealed class ServiceLogs
{
    /// <summary>
    /// The default ring size per service, in bytes: 64 KiB, about 600 lines of 100 bytes. Measured (README, "Operating a
    /// container: logs"): a full ring costs its size in PSS, a quiet service's a page or two (its pages are touched only as lines are
    /// written).
    /// Canonical Pebble keeps 100 KB per service.
    /// </summary>
    public const int DefaultCapacity = 64 * 1024;

    /// <summary>The longest part of a line log-line readiness matches (bytes): the rest is not looked at.</summary>
    public const int MaxMatchedBytes = 4096;

    private readonly LogRing[] _rings;
    private readonly Regex?[] _ready;
    private readonly int[] _matchedRun;
    private LogFollower[] _followers = [];
    private long _sequence;

    /// <summary>Rings of <paramref name="capacities"/> bytes (0: that service's output is not kept), and the log-line readiness
    /// patterns.</summary>
    /// <param name="capacities">The ring size of each service, in bytes.</param>
    /// <param name="ready">Each service's log-line readiness check, or null.</param>
    public ServiceLogs(IReadOnlyList<int> capacities, IReadOnlyList<Readiness?> ready)
    {
        _rings = [.. capacities.Select(c => new LogRing(c))];
        _ready = [.. ready.Select(r => r is { Check.Kind: CheckKind.LogLine } c ? c.LineRegex() : null)];
        _matchedRun = new int[capacities.Count];
    }

    /// <summary>The logs of <paramref name="table"/>'s services: each its <see cref="ServiceSpec.LogBuffer"/>, else
    /// <paramref name="defaultCapacity"/> bytes.</summary>
    public static ServiceLogs For(ServiceTable table, int defaultCapacity) =>
        new([.. table.Services.Select(s => s.LogBuffer ?? defaultCapacity)], [.. table.Services.Select(s => s.Ready)]);

    /// <summary>Whether every service's output goes to the container through Tend with a prefix (<c>--log-prefix</c>), kept or
    /// not.</summary>
    public bool Prefixed { get; init; }

    /// <summary>The services.</summary>
    public int Count => _rings.Length;

    /// <summary>Whether service <paramref name="service"/>'s output is kept (its ring is not of size 0), or matched for
    /// readiness.</summary>
    public bool Keeps(int service) => _rings[service].Capacity > 0 || _ready[service] is not null;

    /// <summary>Whether any service's output is kept.</summary>
    public bool KeepsAny => Enumerable.Range(0, Count).Any(Keeps);

    /// <summary>Keeps one line of service <paramref name="service"/>'s run <paramref name="run"/>.</summary>
    internal void Append(int service, LogStream stream, int run, ReadOnlySpan<byte> text, long timeMs)
    {
        var ring = _rings[service];
        long sequence;
        lock (ring)
        {
            // under the ring's lock: a service's lines are in the order of their sequence numbers
            sequence = Interlocked.Increment(ref _sequence);
            ring.Add(sequence, timeMs, stream, run, text);
        }
        After(service, stream, run, text, timeMs, sequence);
    }

    /// <summary>
    /// Keeps the lines <paramref name="lines"/> (offset, length) of <paramref name="buffer"/>, all of service
    /// <paramref name="service"/>'s run <paramref name="run"/> and read at once (called by the relay's threads: one lock
    /// and one block of sequence numbers for all the lines of a read).
    /// </summary>
    internal void Append(int service, LogStream stream, int run, byte[] buffer, List<(int Start, int Length)> lines, long timeMs)
    {
        var ring = _rings[service];
        long first;
        lock (ring)
        {
            first = Interlocked.Add(ref _sequence, lines.Count) - lines.Count + 1;
            for (var k = 0; k < lines.Count; k++) ring.Add(first + k, timeMs, stream, run, buffer.AsSpan(lines[k].Start, lines[k].Length));
        }
        if (_ready[service] is null && Volatile.Read(ref _followers).Length == 0) return;
        for (var k = 0; k < lines.Count; k++) After(service, stream, run, buffer.AsSpan(lines[k].Start, lines[k].Length), timeMs,
            first + k);
    }

    /// <summary>Service <paramref name="service"/>'s ring size, in bytes.</summary>
    internal int Capacity(int service) => _rings[service].Capacity;

    /// <summary>
    /// Whether every line of run <paramref name="run"/> of service <paramref name="service"/> must be looked at, even those
    /// its ring cannot keep: its log-line readiness waits for a line of that run, or a follower follows the service.
    /// </summary>
    internal bool NeedsEveryLine(int service, int run)
    {
        if (_ready[service] is not null && run > Volatile.Read(ref _matchedRun[service])) return true;
        foreach (var f in Volatile.Read(ref _followers))
            if (f.Follows(service)) return true;
        return false;
    }

    /// <summary>
    /// Counts <paramref name="lines"/> lines (<paramref name="bytes"/> bytes of text) of service <paramref name="service"/>
    /// as read and dropped, and drops the lines its ring kept: called by a relay thread only for lines that the lines read
    /// right after them push out of the ring (<see cref="LogRing.Skip"/>). Their sequence numbers are used up all the same.
    /// </summary>
    internal void Skip(int service, long lines, long bytes)
    {
        var ring = _rings[service];
        lock (ring)
        {
            Interlocked.Add(ref _sequence, lines);
            ring.Skip(lines, bytes);
        }
    }

    /// <summary>What follows keeping a line: the readiness match, the followers.</summary>
    private void After(int service, LogStream stream, int run, ReadOnlySpan<byte> text, long timeMs, long sequence)
    {
        if (_ready[service] is { } pattern && run > Volatile.Read(ref _matchedRun[service]) && Matches(pattern, text))
            Volatile.Write(ref _matchedRun[service], run);
        var followers = Volatile.Read(ref _followers);
        if (followers.Length == 0) return;
        foreach (var f in followers)
            if (f.Follows(service)) f.Offer(service, sequence, timeMs, stream, run, text);
    }

    private static bool Matches(Regex pattern, ReadOnlySpan<byte> text)
    {
        var s = Encoding.UTF8.GetString(text.Length > MaxMatchedBytes ? text[..MaxMatchedBytes] : text);
        try { return pattern.IsMatch(s); }
        catch (RegexMatchTimeoutException) { return false; }
    }

    /// <summary>Whether a line of run <paramref name="run"/> of service <paramref name="service"/> matched its log-line readiness
    /// pattern.</summary>
    public bool Matched(int service, int run) => Volatile.Read(ref _matchedRun[service]) == run;

    /// <summary>Lines a reader steps over (or bytes it copies) per hold of a ring's lock: the relay thread that writes to it waits at
    /// most that long (tens of µs).</summary>
    internal const int StepBudget = 8192;

    /// <summary>Bytes of text a reader copies per hold of a ring's lock (and holds per service it reads): what one stuck client of
    /// <c>tend logs</c> costs is a few of these.</summary>
    internal const int BatchBytes = 16 * 1024;

    /// <summary>
    /// Reads the lines kept of the services <paramref name="services"/> selects (by index), in the order they were read, in
    /// batches (<see cref="LogReader.Next"/>): of each service its last <paramref name="lines"/> (all when null), none older than
    /// <paramref name="sinceMs"/> (ms since the Unix epoch); the lines written from now on are not included.
    /// </summary>
    public LogReader Read(bool[] services, int? lines = null, long sinceMs = long.MinValue)
    {
        var parts = new List<LogReader.Part>();
        for (var i = 0; i < _rings.Length; i++)
            if (services[i]) parts.Add(Window(i, lines, sinceMs));
        return new LogReader(this, parts);
    }

    /// <summary>Where service <paramref name="service"/>'s window starts and ends, found a bounded step at a time.</summary>
    private LogReader.Part Window(int service, int? lines, long sinceMs)
    {
        var ring = _rings[service];
        LogCursor cursor;
        long end, first;
        bool pastKept;
        lock (ring)
        {
            cursor = ring.Oldest;
            end = ring.Added;
            first = ring.First;
            // The window reaches past what is kept when lines were dropped that it would have taken.
            pastKept = ring.First > 0 && (lines is not { } n || end - n < ring.First) && (ring.OldestTimeMs ?? long.MaxValue) >= sinceMs;
        }
        long missed = 0;
        if (lines is { } count)
        {
            while (true)
                lock (ring)
                    if (ring.Seek(ref cursor, end - count, StepBudget)) break;
            // Seek stops at its target unless a flood dropped the lines before the cursor got there (it then starts at the
            // oldest line kept): those lines of the window were lost, and are said so.
            var from = Math.Max(end - count, first);
            if (cursor.Line > from) missed = Math.Min(cursor.Line, end) - from;
        }
        if (sinceMs != long.MinValue)
            while (true)
                lock (ring)
                    if (ring.SeekTime(ref cursor, sinceMs, StepBudget)) break;
        return new LogReader.Part(service, cursor, end, pastKept) { Missed = missed };
    }

    /// <summary>Copies a batch of service <paramref name="service"/>'s lines from <paramref name="cursor"/> on
    /// (<see cref="LogRing.Read(int, ref LogCursor, long, int, List{LogEntry})"/>), holding its ring's lock only for that.</summary>
    internal long ReadBatch(int service, ref LogCursor cursor, long end, List<LogEntry> into)
    {
        var ring = _rings[service];
        lock (ring) return ring.Read(service, ref cursor, end, BatchBytes, into);
    }

    /// <summary>Every line <see cref="Read"/> gives, at once (tests, short readings).</summary>
    public List<LogEntry> Tail(bool[] services, int? lines = null, long sinceMs = long.MinValue)
    {
        var all = new List<LogEntry>();
        var reader = Read(services, lines, sinceMs);
        while (reader.Next(all, int.MaxValue)) { }
        return all;
    }

    /// <summary>The last lines of service <paramref name="service"/> whose text fits in <paramref name="maxBytes"/> bytes (a newline each),
    /// oldest first.</summary>
    public List<LogEntry> Last(int service, int maxBytes)
    {
        // Each line takes at least its newline: no more than maxBytes lines can fit.
        var all = Tail([.. Enumerable.Range(0, Count).Select(i => i == service)], maxBytes);
        var start = all.Count;
        var bytes = 0;
        while (start > 0 && bytes + all[start - 1].Text.Length + 1 <= maxBytes) bytes += all[--start].Text.Length + 1;
        return all[start..];
    }

    /// <summary>What service <paramref name="service"/>'s ring holds and has seen.</summary>
    public LogStats Stats(int service)
    {
        var ring = _rings[service];
        lock (ring) return new LogStats(ring.Capacity, ring.Allocated, ring.Count, ring.Added, ring.Dropped, ring.Bytes);
    }

    /// <summary>Starts following the services <paramref name="services"/> selects: every line read from now on is offered to the
    /// follower.</summary>
    internal LogFollower Follow(bool[] services)
    {
        var f = new LogFollower(services);
        lock (_rings)
            Volatile.Write(ref _followers, [.. _followers, f]);
        return f;
    }

    /// <summary>Stops offering lines to <paramref name="follower"/>.</summary>
    internal void Unfollow(LogFollower follower)
    {
        lock (_rings)
            Volatile.Write(ref _followers, [.. _followers.Where(f => f != follower)]);
    }
}

/// <summary>What one service's ring holds and has seen.</summary>
/// <param name="Capacity">Its size limit, in bytes.</param>
/// <param name="Allocated">The bytes its buffer holds now (it grows up to <paramref name="Capacity"/>).</param>
/// <param name="Lines">Lines kept now.</param>
/// <param name="Added">Lines read since Tend started.</param>
/// <param name="Dropped">Lines dropped (the oldest) to make room, since Tend started.</param>
/// <param name="Bytes">Bytes of text read since Tend started.</param>
internal readonly record struct LogStats(int Capacity, int Allocated, int Lines, long Added, long Dropped, long Bytes);
