namespace Tend.Logging;

/// <summary>
/// One reading of the lines kept (<c>tend logs</c> without <c>-f</c>, and what <c>-f</c> shows first): each service's
/// window, found when it was made, handed out in batches merged in the order the lines were read. Memory is bounded by a
/// batch per service, whatever the rings hold; each ring's lock is held only to copy one batch
/// (<see cref="ServiceLogs.StepBudget"/>). Used by one thread.
/// </summary>
internal sealed class LogReader
{
    private readonly ServiceLogs _logs;
    private readonly Part[] _parts;
    private long _missed;

    /// <summary>One service's window: from <see cref="Cursor"/> to line <see cref="End"/> (excluded).</summary>
    /// <param name="service">The service's index.</param>
    /// <param name="cursor">Its first line.</param>
    /// <param name="end">One past its last line: the newest line when the reading began.</param>
    /// <param name="pastKept">Whether the window reaches past what the ring keeps (lines it would show were dropped).</param>
    internal sealed class Part(int service, LogCursor cursor, long end, bool pastKept)
    {
        public readonly int Service = service;
        public readonly long End = end;
        public readonly bool PastKept = pastKept;
        public readonly List<LogEntry> Ahead = [];
        public LogCursor Cursor = cursor;
        public int Next;

        /// <summary>Lines of the window a flood dropped while its start was being found.</summary>
        public long Missed { get; init; }
    }

    internal LogReader(ServiceLogs logs, IEnumerable<Part> parts)
    {
        _logs = logs;
        _parts = [.. parts];
        _missed = _parts.Sum(p => p.Missed);
    }

    /// <summary>The services read, in table order, each with whether its window reaches past what is kept.</summary>
    public IEnumerable<(int Service, bool PastKept)> Windows => _parts.Select(p => (p.Service, p.PastKept));

    /// <summary>Lines dropped from a ring while this reading was under way (a flood overtook it), since the last call; 0 after.</summary>
    public long TakeMissed()
    {
        var missed = _missed;
        _missed = 0;
        return missed;
    }

    /// <summary>Adds the next lines, in the order they were read, to <paramref name="into"/>: about <paramref name="maxBytes"/> bytes
    /// of text at most (at least one line). False once every window is read.</summary>
    public bool Next(List<LogEntry> into, int maxBytes)
    {
        var bytes = 0;
        while (bytes < maxBytes)
        {
            Part? best = null;
            foreach (var p in _parts)
            {
                if (p.Next == p.Ahead.Count) Refill(p);
                if (p.Next < p.Ahead.Count && (best is null || p.Ahead[p.Next].Sequence < best.Ahead[best.Next].Sequence)) best = p;
            }
            if (best is null) return bytes > 0;
            var e = best.Ahead[best.Next++];
            into.Add(e);
            bytes += e.Text.Length + LogEntry.Overhead;
        }
        return true;
    }

    private void Refill(Part p)
    {
        p.Ahead.Clear();
        p.Next = 0;
        if (p.Cursor.Line >= p.End) return;
        _missed += _logs.ReadBatch(p.Service, ref p.Cursor, p.End, p.Ahead);
    }
}
