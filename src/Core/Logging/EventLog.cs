using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tend.Logging;

/// <summary>
/// Tend's own events, one line each on stderr (fd 2), as text or JSON. Lines are queued for the writer of the
/// descriptor (<see cref="OutputRelay"/>) and never waited for: a log sink that stops reading cannot stall the
/// supervisor, control requests or a shutdown. What does not fit in the queue is dropped and counted, and the count
/// is written once the sink took the rest (event <c>dropped</c>).
/// </summary>
internal sealed class EventLog
{
    private readonly LogFormat _format;
    private readonly OutputRelay _relay;
    private readonly string[] _recent = new string[RecentLines];
    private int _written;

    /// <summary>How many of the last lines <see cref="Recent"/> keeps (for a termination message: Export/TerminationLog.cs).</summary>
    public const int RecentLines = 8;

    /// <summary>A log of the given format on descriptor <paramref name="fd"/>.</summary>
    public EventLog(LogFormat format, int fd = 2)
    {
        _format = format;
        _relay = OutputRelay.For(fd);
        _relay.DroppedNotice = Dropped;
    }

    /// <summary>The format in use.</summary>
    public LogFormat Format => _format;

    /// <summary>A line about Tend itself.</summary>
    public void Info(string message) => Write("info", null, "info", message, null, null, null, null, null);

    /// <summary>An error about Tend itself.</summary>
    public void Error(string message) => Write("error", null, "error", message, null, null, null, null, null);

    /// <summary>A state change of one service.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="evt">What happened (<see cref="EventNames"/>).</param>
    /// <param name="message">The line, for people.</param>
    /// <param name="pid">The process concerned.</param>
    /// <param name="exit">How a process ended.</param>
    /// <param name="restarts">The service's restarts so far.</param>
    /// <param name="delayMs">The delay (ms) before the next start.</param>
    /// <param name="reason">Why a check failed (JSON <c>reason</c>).</param>
    /// <param name="error">An error line rather than an info line.</param>
    public void Service(string service, string evt, string message, int? pid = null, ExitStatus? exit = null, int? restarts = null,
        long? delayMs = null, string? reason = null, bool error = false) =>
        Write(error ? "error" : "info", service, evt, message, pid, exit, restarts, delayMs, reason);

    private Doorbell[] _watchers = [];

    /// <summary>Rings <paramref name="bell"/> at every event of a service from now on (<c>tend status --watch</c>).</summary>
    internal void Watch(Doorbell bell)
    {
        lock (_recent) _watchers = [.. _watchers, bell];
    }

    /// <summary>Stops ringing <paramref name="bell"/>.</summary>
    internal void Unwatch(Doorbell bell)
    {
        lock (_recent) _watchers = [.. _watchers.Where(b => b != bell)];
    }

    /// <summary>The last lines written (at most <see cref="RecentLines"/>), oldest first, as text.</summary>
    public IReadOnlyList<string> Recent()
    {
        lock (_recent)
        {
            var n = Math.Min(_written, RecentLines);
            return [.. Enumerable.Range(_written - n, n).Select(i => _recent[i % RecentLines])];
        }
    }

    private void Write(string level, string? service, string evt, string message, int? pid, ExitStatus? exit, int? restarts, long? delayMs,
        string? reason)
    {
        Doorbell[] watchers;
        lock (_recent)
        {
            _recent[_written++ % RecentLines] = service is null ? message : $"{service}: {message}";
            watchers = _watchers;
        }
        if (service is not null) foreach (var bell in watchers) bell.Ring();
        if (_format == LogFormat.Text)
        {
            _relay.Post(Encoding.UTF8.GetBytes(service is null ? $"tend: {message}\n" : $"tend: {service}: {message}\n"));
            return;
        }
        _relay.Post(Json(level, service, evt, message, pid, exit, restarts, delayMs, reason));
    }

    /// <summary>
    /// Waits until the queued lines were written, at most <paramref name="timeout"/>, and only while the sink takes
    /// them: before Tend exits, so its last lines are not lost to a sink that reads, nor its exit held by one that does not.
    /// </summary>
    public bool Flush(TimeSpan timeout) => _relay.WaitIdle(timeout, OutputRelay.StallLimit);

    private byte[] Dropped(long count)
    {
        var message = PlainMessage.DroppedLines(count);
        if (_format == LogFormat.Text) return Encoding.UTF8.GetBytes($"tend: {message}\n");
        return Json("error", null, "dropped", message, null, null, null, null, null, count);
    }

    // Apart, so that text logging never loads System.Text.Json.
    private static byte[] Json(string level, string? service, string evt, string message, int? pid, ExitStatus? exit, int? restarts,
        long? delayMs, string? reason, long? dropped = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("level", level);
            if (service is not null) w.WriteString("service", service);
            w.WriteString("event", evt);
            if (pid is { } p) w.WriteNumber("pid", p);
            if (exit is { Unknown: false } e)
            {
                if (e.Signal != 0) w.WriteString("signal", Signals.Name(e.Signal));
                else w.WriteNumber("exitCode", e.Code);
            }
            if (restarts is { } r) w.WriteNumber("restarts", r);
            if (delayMs is { } d) w.WriteNumber("delayMs", d);
            if (reason is not null) w.WriteString("reason", reason);
            if (dropped is { } n) w.WriteNumber("dropped", n);
            w.WriteString("message", message);
            w.WriteEndObject();
        }
        var bytes = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }
}
