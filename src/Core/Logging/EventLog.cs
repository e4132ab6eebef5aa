using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Tend.Logging;

/// <summary>How Tend writes its own lines.</summary>
public enum LogFormat
{
    /// <summary><c>tend: sshd: started (pid 42)</c></summary>
    Text,
    /// <summary>One JSON object per line, for log shippers.</summary>
    Json,
}

/// <summary>Tend's own events, one line each on stderr (fd 2), as text or JSON.</summary>
public sealed class EventLog(LogFormat format, int fd = 2)
{
    private readonly object _gate = new();

    /// <summary>The format in use.</summary>
    public LogFormat Format => format;

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
    public void Service(string service, string evt, string message, int? pid = null, ExitStatus? exit = null, int? restarts = null, long? delayMs = null, string? reason = null, bool error = false) =>
        Write(error ? "error" : "info", service, evt, message, pid, exit, restarts, delayMs, reason);

    private void Write(string level, string? service, string evt, string message, int? pid, ExitStatus? exit, int? restarts, long? delayMs, string? reason)
    {
        if (format == LogFormat.Text)
        {
            var line = service is null ? $"tend: {message}\n" : $"tend: {service}: {message}\n";
            lock (_gate) FdWriter.Write(fd, line);
            return;
        }
        WriteJson(level, service, evt, message, pid, exit, restarts, delayMs, reason);
    }

    // Apart, so that text logging never loads System.Text.Json.
    private void WriteJson(string level, string? service, string evt, string message, int? pid, ExitStatus? exit, int? restarts, long? delayMs, string? reason)
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
            w.WriteString("message", message);
            w.WriteEndObject();
        }
        var bytes = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        lock (_gate) FdWriter.Write(fd, bytes);
    }
}
