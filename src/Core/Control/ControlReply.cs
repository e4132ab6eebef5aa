using System.Buffers;
using System.Text;
using System.Globalization;
using System.Text.Json;
using Tend.Logging;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>The replies of the control protocol: one JSON object per connection, on one line.</summary>
internal static class ControlReply
{
    /// <summary><c>{"ok":false,"code":N,"error":"…"}</c>: code 2 for a bad request (unknown verb or service, bad signal), 1
    /// otherwise.</summary>
    public static string Error(int code, string message) => Write(w =>
    {
        w.WriteBoolean("ok", false);
        w.WriteNumber("code", code);
        w.WriteString("error", message);
    });

    /// <summary><c>{"ok":true,"message":"…"}</c>, with <c>healthy</c> and <c>services</c> when given.</summary>
    public static string Ok(string message, IEnumerable<ServiceStatus>? services = null, bool? healthy = null) => Write(w =>
    {
        w.WriteBoolean("ok", true);
        w.WriteString("message", message);
        if (healthy is { } h) w.WriteBoolean("healthy", h);
        if (services is null) return;
        w.WriteStartArray("services");
        foreach (var s in services)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("state", s.State);
            if (s.Pid is { } pid) w.WriteNumber("pid", pid); else w.WriteNull("pid");
            if (s.UptimeMs is { } up) w.WriteNumber("uptimeMs", up); else w.WriteNull("uptimeMs");
            w.WriteNumber("restarts", s.Restarts);
            w.WriteNumber("runs", s.Runs);
            if (s.Usage is { } u)
            {
                w.WriteNumber("rssBytes", u.RssBytes);
                w.WriteNumber("cpuSeconds", Math.Round(u.CpuSeconds, 2));
            }
            if (s.LastExit is { Unknown: false } e)
            {
                if (e.Signal != 0) w.WriteString("lastSignal", Signals.Name(e.Signal));
                else w.WriteNumber("lastExitCode", e.Code);
            }
            w.WriteBoolean("ready", s.Ready);
            if (s.Check is not null) w.WriteString("check", s.Check);
            w.WriteBoolean("critical", s.Critical);
            if (s.Reason is not null) w.WriteString("reason", s.Reason);
            if (s.Health is not null) w.WriteString("health", s.Health);
            if (s.HealthReason is not null) w.WriteString("healthReason", s.HealthReason);
            if (s.NotifyStatus is not null) w.WriteString("notifyStatus", s.NotifyStatus);
            if (s.Schedule is not null) w.WriteString("schedule", s.Schedule);
            if (s.LastRun is { } last) w.WriteString("lastRun", ScheduleRules.Format(last));
            if (s.NextDue is { } due) w.WriteString("nextDue", ScheduleRules.Format(due));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>
    /// The first line of a <c>logs</c> answer:
    /// <c>{"ok":true,"services":[…],"dropped":{"NAME":N},"capacity":{"NAME":BYTES},"pastKept":[…],"prefixed":false}</c>, with
    /// each service's lines dropped from its ring since Tend started (older output no longer kept), its ring's size in
    /// bytes (0: its output is not kept), the services whose asked window (all, <c>-n</c>, <c>--since</c>) reaches past what
    /// is kept, and whether the services' output goes to the container through Tend with a prefix (<c>--log-prefix</c>).
    /// Log lines follow (<see cref="LogLine"/>).
    /// </summary>
    public static string LogHeader(IEnumerable<(string Name, long Dropped, int Capacity, bool PastKept)> services, bool prefixed) =>
        Write(w =>
    {
        var list = services.ToList();
        w.WriteBoolean("ok", true);
        w.WriteStartArray("services");
        foreach (var s in list) w.WriteStringValue(s.Name);
        w.WriteEndArray();
        w.WriteStartObject("dropped");
        foreach (var s in list) w.WriteNumber(s.Name, s.Dropped);
        w.WriteEndObject();
        w.WriteStartObject("capacity");
        foreach (var s in list) w.WriteNumber(s.Name, s.Capacity);
        w.WriteEndObject();
        w.WriteStartArray("pastKept");
        foreach (var s in list.Where(s => s.PastKept)) w.WriteStringValue(s.Name);
        w.WriteEndArray();
        w.WriteBoolean("prefixed", prefixed);
    });

    /// <summary>
    /// One line of a service's output: <c>{"service":"web","time":"2026-12-06T04:50:00.123Z","stream":"stdout","run":2,"text":"…"}</c>
    /// (bytes that are not UTF-8 become U+FFFD in <c>text</c>).
    /// </summary>
    public static void LogLine(ArrayBufferWriter<byte> into, string service, LogEntry e)
    {
        using (var w = new Utf8JsonWriter(into))
        {
            w.WriteStartObject();
            w.WriteString("service", service);
            w.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ",
                CultureInfo.InvariantCulture));
            w.WriteString("stream", e.Stream == LogStream.Stderr ? "stderr" : "stdout");
            w.WriteNumber("run", e.Run);
            w.WriteString("text", Encoding.UTF8.GetString(e.Text));
            w.WriteEndObject();
        }
        into.Write("\n"u8);
    }

    /// <summary><c>{"dropped":N}</c>: N lines were left out — in a followed stream, lines this client did not take in time; in
    /// a reading, lines a flood dropped from the ring before the reading got to them.</summary>
    public static string Dropped(long count) => Write(w => w.WriteNumber("dropped", count));

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
