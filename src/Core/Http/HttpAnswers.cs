using System.Globalization;
using System.Text;
using Tend.Control;
using Tend.Supervision;

namespace Tend.Http;

/// <summary>One answer: the status, its content type, the body (left out for HEAD) and, for a 405, the methods allowed.</summary>
internal sealed record HttpAnswer(int Status, string ContentType, string Body)
{
    /// <summary>The whole response, status line to body (RFC 9112 section 4): <c>Connection: close</c>, the body's length, no
    /// cache.</summary>
    public byte[] Bytes(bool head, bool http10)
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var sb = new StringBuilder(256);
        sb.Append(http10 ? "HTTP/1.0 "
            : "HTTP/1.1 ").Append(Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason(Status)).Append("\r\n");
        sb.Append("Content-Type: ").Append(ContentType).Append("\r\n");
        sb.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (Status == 405) sb.Append("Allow: GET, HEAD\r\n");
        sb.Append("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(sb.ToString());
        return head ? headBytes : [.. headBytes, .. body];
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    internal static HttpAnswer Text(int status, string text) => new(status, "text/plain; charset=utf-8", text + "\n");
}

/// <summary>
/// What the endpoint answers, as a function of the request and the supervisor's latest state (no socket, no clock):
/// <c>GET /healthz[?level=alive|ready]</c>, <c>GET /healthz/NAME[?level=…]</c>, <c>GET /metrics</c>. Every rule is Tend's
/// own, reused: readiness is <c>tend health</c>'s (<see cref="ControlDecisions.Health"/>; one service:
/// <see cref="ControlDecisions.IsUp"/>, the same rule), liveness <see cref="ControlDecisions.Alive"/>. NAME is the path's
/// rest, percent-decoded (<see cref="HttpRequestHead.DecodePath"/>) and compared exactly, capitals and all.
/// </summary>
internal static class HttpAnswers
{
    /// <summary>The paths served, for a 404's body.</summary>
    private const string Served = "/healthz, /healthz/NAME (each with ?level=alive or ?level=ready) and /metrics";

    /// <summary>
    /// The answer to <paramref name="request"/> given <paramref name="view"/> (null before the first round: 503).
    /// <paramref name="metrics"/> renders <c>/metrics</c> (it reads /proc, so it is called only for that path).
    /// </summary>
    public static HttpAnswer For(HttpRequestHead request, SupervisorView? view, Func<SupervisorView, bool, string> metrics)
    {
        if (request.Status != 0) return HttpAnswer.Text(request.Status, request.Problem ?? "bad request");
        if (view is not { } v) return HttpAnswer.Text(503, "tend is starting");
        if (request.Path == "/metrics")
            return request.Query.Length > 0 ? HttpAnswer.Text(400, "/metrics takes no query")
                : new HttpAnswer(200, request.AcceptsOpenMetrics ? MetricsText.OpenMetricsType : MetricsText.PrometheusType, metrics(v,
                    request.AcceptsOpenMetrics));
        if (request.Path != "/healthz" && !request.Path.StartsWith("/healthz/", StringComparison.Ordinal)) return HttpAnswer.Text(404,
            $"not found: this endpoint serves {Served}");
        if (!Level(request.Query, out var alive, out var problem)) return HttpAnswer.Text(400, problem!);
        if (request.Path == "/healthz")
        {
            var (ok, why) = alive ? ControlDecisions.Alive(v) : ControlDecisions.Health(v);
            return HttpAnswer.Text(ok ? 200 : 503, why);
        }
        var name = request.Path["/healthz/".Length..];
        var i = v.Table.IndexOf(name);
        if (i < 0) return HttpAnswer.Text(404,
            $"no service is named '{Printable(name)}'; the services are: {string.Join(", ", v.Table.Services.Select(s => s.Name))}");
        var spec = v.Table.Services[i];
        var r = v.Runtimes[i];
        if (v.Desired.ShuttingDown) return HttpAnswer.Text(503, $"{spec.Name}: tend is shutting down");
        var passed = alive ? ControlDecisions.IsAlive(spec, r) : !v.Desired.Draining && ControlDecisions.IsUp(spec, r);
        var state = ServiceStatus.StateOf(spec, r);
        return HttpAnswer.Text(passed ? 200 : 503,
            $"{spec.Name}: {(passed ? alive ? "alive" : "ready" : alive ? "not alive" : "not ready")} " +
                $"({state}{(!alive && v.Desired.Draining ? ", draining" : "")})");
    }

    /// <summary>The query's level: <c>level=ready</c> (the default) or <c>level=alive</c>; false with a reason for anything else.</summary>
    private static bool Level(string query, out bool alive, out string? problem)
    {
        alive = false;
        problem = null;
        if (query.Length == 0) return true;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : pair[(eq + 1)..];
            if (key != "level")
            {
                problem = $"unknown query parameter '{Printable(key)}': the health paths take level=alive or level=ready";
                return false;
            }
            if (value is not ("alive" or "ready"))
            {
                problem = $"level '{Printable(value)}': expected alive or ready";
                return false;
            }
            alive = value == "alive";
        }
        return true;
    }

    /// <summary>At most 64 characters of what a client sent, for an error's body.</summary>
    private static string Printable(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
