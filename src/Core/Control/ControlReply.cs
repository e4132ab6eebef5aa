using System.Buffers;
using System.Text;
using System.Text.Json;
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
