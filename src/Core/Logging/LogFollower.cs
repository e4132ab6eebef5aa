namespace Tend.Logging;

/// <summary>
/// One client of <c>tend logs -f</c>: the lines of the services it follows, queued by the relay (which never waits for
/// it) up to <see cref="MaxQueued"/> bytes, and taken by the client's own thread. A client that reads slower than the
/// services write loses lines, counted and reported to it; nothing else waits.
/// </summary>
internal sealed class LogFollower(bool[] services) : IDisposable
{
    /// <summary>The most bytes of lines (headers included) queued for one client.</summary>
    public const int MaxQueued = 256 * 1024;

    private readonly Queue<LogEntry> _queue = new();
    private int _bytes;
    private long _dropped;

    /// <summary>Rung when a line is queued.</summary>
    public Doorbell Bell { get; } = new();

    /// <summary>Whether it follows service <paramref name="service"/>.</summary>
    public bool Follows(int service) => services[service];

    /// <summary>Queues a line, or counts it dropped when the queue is full; never blocks.</summary>
    public void Offer(LogEntry entry)
    {
        lock (_queue)
        {
            var size = entry.Text.Length + LogEntry.Overhead;
            if (_bytes + size > MaxQueued) _dropped++;
            else
            {
                _queue.Enqueue(entry);
                _bytes += size;
            }
        }
        Bell.Ring();
    }

    /// <summary>Takes every queued line into <paramref name="into"/>; returns how many were dropped since the last take.</summary>
    public long TakeAll(List<LogEntry> into)
    {
        lock (_queue)
        {
            into.AddRange(_queue);
            _queue.Clear();
            _bytes = 0;
            var dropped = _dropped;
            _dropped = 0;
            return dropped;
        }
    }

    /// <summary>Closes its doorbell.</summary>
    public void Dispose() => Bell.Dispose();
}
