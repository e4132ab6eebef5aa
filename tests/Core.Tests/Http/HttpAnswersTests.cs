using System.Text;
using Tend.Http;
using Tend.Logging;
using Tend.Supervision;

namespace Tend.Tests.Http;

/// <summary>What the endpoint answers, as a pure function of the request and a fake supervisor state.</summary>
[Trait("Category", "Unit")]
public class HttpAnswersTests
{
    private const long T0 = 1_000_000;

    private static readonly ServiceTable Table = new([
        new ServiceSpec("db", new Command("/bin/db")) { Ready = Readiness.Parse("tcp:5432") },
        new ServiceSpec("web", new Command("/bin/web")) { DependsOn = ["db"] },
    ]);

    private static ServiceRuntime Running(bool ready, int starts = 1) =>
        new() { Phase = ServicePhase.Running, Process = new TrackedProcess(100, 1, 100, true, true), Starts = starts, StartedAt = T0 - 5000,
            Ready = ready };

    private static SupervisorView View(ServiceRuntime db, ServiceRuntime web, DesiredState? desired = null) => new(Table,
        desired ?? DesiredState.AllUp(2), [db, web], T0);

    private static HttpAnswer Get(string target, SupervisorView? view, string accept = "*/*")
    {
        Assert.Equal(HttpParse.Complete,
            HttpRequestHead.Parse(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nAccept: {accept}\r\n\r\n"), out var head));
        return HttpAnswers.For(head!, view, (v, om) => MetricsText.Write(v, 1_700_000_000, null, default, om));
    }

    [Fact]
    public void Healthz_is_tend_healths_rule()
    {
        var notReady = View(Running(ready: false), Running(ready: false));
        var ready = View(Running(ready: true), Running(ready: false));
        Assert.Equal((503, false), (Get("/healthz", notReady).Status, Control.ControlDecisions.Health(notReady).Healthy));
        Assert.Equal((200, true), (Get("/healthz?level=ready", ready).Status, Control.ControlDecisions.Health(ready).Healthy));
        Assert.Contains("healthy", Get("/healthz", ready).Body);
        // Alive while still starting up; not while shutting down.
        Assert.Equal(200, Get("/healthz?level=alive", notReady).Status);
        Assert.Equal(503, Get("/healthz?level=alive",
            notReady with { Desired = DesiredState.AllUp(2) with { ShuttingDown = true } }).Status);
        Assert.Equal(503, Get("/healthz?level=alive", View(Running(true), new ServiceRuntime { Phase = ServicePhase.Backoff,
            Starts = 2 })).Status);
    }

    [Fact]
    public void Healthz_name_follows_one_service()
    {
        var view = View(Running(ready: false), Running(ready: false));
        Assert.Equal(503, Get("/healthz/db", view).Status);
        Assert.Equal(200, Get("/healthz/web", view).Status); // no readiness check: running is ready
        Assert.Equal(200, Get("/healthz/db?level=alive", view).Status);
        Assert.Equal(200, Get("/healthz/db", View(Running(ready: true), Running(false))).Status);
        var unknown = Get("/healthz/nope", view);
        Assert.Equal(404, unknown.Status);
        Assert.Contains("db, web", unknown.Body);
    }

    /// <summary>A name with capitals and non-ASCII letters, asked percent-encoded (as curl sends it) or raw: found, exactly.</summary>
    [Fact]
    public void Healthz_name_is_percent_decoded_and_compared_exactly()
    {
        var table = new ServiceTable([
            new ServiceSpec("sérvice.sh", new Command("/bin/a")), new ServiceSpec("Huge.sh", new Command("/bin/b"))]);
        var view = new SupervisorView(table, DesiredState.AllUp(2), [Running(false), Running(false)], T0);
        HttpAnswer GetBytes(string target)
        {
            var bytes = Encoding.UTF8.GetBytes($"GET {target} HTTP/1.1\r\n\r\n");
            Assert.Equal(HttpParse.Complete, HttpRequestHead.Parse(bytes, out var head));
            return HttpAnswers.For(head!, view, (_, _) => "");
        }
        var encoded = GetBytes("/healthz/s%C3%A9rvice.sh");
        Assert.Equal((200, "sérvice.sh: ready (running)\n"), (encoded.Status, encoded.Body));
        Assert.Equal(200, GetBytes("/healthz/sérvice.sh").Status);
        Assert.Equal(200, GetBytes("/healthz/Huge%2Esh").Status);
        var lower = GetBytes("/healthz/huge%2Esh");
        Assert.Equal(404, lower.Status);
        Assert.Contains("no service is named 'huge.sh'", lower.Body, StringComparison.Ordinal);
    }

    /// <summary>
    /// One rule for "up": a completed one-shot (or a run its policy ended after a clean exit) is up for /healthz, for
    /// /healthz/NAME and for tend_service_up alike; a service backing off is down for all three.
    /// </summary>
    [Fact]
    public void Healthz_healthz_name_and_tend_service_up_follow_one_rule()
    {
        var table = new ServiceTable([
            new ServiceSpec("oneshot.sh", new Command("/bin/true")) { Restart = Restart.OnFailure },
            new ServiceSpec("task", new Command("/bin/true")) { OneShot = true },
            new ServiceSpec("web", new Command("/bin/web")),
        ]);
        var completed = new ServiceRuntime { Phase = ServicePhase.Completed, Starts = 1, LastExit = ExitStatus.Exited(0) };
        var up = new SupervisorView(table, DesiredState.AllUp(3), [completed, completed, Running(false)], T0);
        var down = up with { Runtimes = [completed, completed, new ServiceRuntime { Phase = ServicePhase.Backoff, Starts = 2 }] };
        foreach (var (view, status) in new[] { (up, 200), (down, 503) })
        {
            Assert.Equal(status, Get("/healthz", view).Status);
            Assert.Equal(status == 200, Control.ControlDecisions.Health(view).Healthy);
            var metrics = Get("/metrics", view).Body.Split('\n');
            for (var i = 0; i < table.Count; i++)
            {
                var name = table.Services[i].Name;
                var isUp = Control.ControlDecisions.IsUp(table.Services[i], view.Runtimes[i]);
                Assert.Equal(isUp ? 200 : 503, Get("/healthz/" + name, view).Status);
                Assert.Contains($"tend_service_up{{service=\"{name}\"}} {(isUp ? 1 : 0)}", metrics);
            }
            Assert.Contains($"tend_healthy {(status == 200 ? 1 : 0)}", metrics);
        }
        Assert.Equal(200, Get("/healthz/oneshot.sh", up).Status);
        Assert.Equal(503, Get("/healthz/web", down).Status);
    }

    [Theory]
    [InlineData("/healthz?level=dead", 400)]
    [InlineData("/healthz?verbose=1", 400)]
    [InlineData("/", 404)]
    [InlineData("/v1/health", 404)]
    [InlineData("/metrics?x=1", 400)]
    public void Bad_paths_and_queries_are_refused(string target, int status) =>
        Assert.Equal(status, Get(target, View(Running(true), Running(true))).Status);

    [Fact]
    public void Before_the_first_round_everything_is_503() => Assert.Equal(503, Get("/metrics", null).Status);

    [Fact]
    public void Metrics_carry_each_services_state_restarts_and_last_exit()
    {
        var db = Running(ready: true, starts: 4) with { Restarts = 3, LastExit = ExitStatus.Killed(9),
            LastReadyCheck = new CheckOutcome(true, 0.0012) };
        var web = new ServiceRuntime { Phase = ServicePhase.Backoff, Starts = 2, Restarts = 1, LastExit = ExitStatus.Exited(3) };
        var answer = Get("/metrics", View(db, web));
        Assert.Equal(200, answer.Status);
        Assert.Equal(MetricsText.PrometheusType, answer.ContentType);
        var lines = answer.Body.Split('\n');
        Assert.Contains("tend_service_restarts_total{service=\"db\"} 3", lines);
        Assert.Contains("tend_service_restarts_total{service=\"web\"} 1", lines);
        Assert.Contains("tend_service_runs_total{service=\"db\"} 4", lines);
        Assert.Contains("tend_service_state{service=\"web\",state=\"backoff\"} 1", lines);
        Assert.Contains("tend_service_state{service=\"web\",state=\"running\"} 0", lines);
        Assert.Contains("tend_service_up{service=\"web\"} 0", lines);
        Assert.Contains("tend_service_last_exit_signal{service=\"db\"} 9", lines);
        Assert.Contains("tend_service_last_exit_code{service=\"web\"} 3", lines);
        Assert.Contains("tend_service_ready_check_duration_seconds{service=\"db\"} 0.0012", lines);
        Assert.Contains("tend_service_start_time_seconds{service=\"db\"} 1699999995", lines);
        Assert.Contains("# TYPE tend_service_restarts_total counter", lines);
        Assert.DoesNotContain("# EOF", lines);
    }

    [Fact]
    public void Log_counters_are_per_service_and_only_for_a_service_whose_output_Tend_reads()
    {
        var view = View(Running(true), Running(true));
        // db: 700 lines of 100 bytes read into a 64 KiB ring that holds 524 of them; web: --log-buffer 0, not read.
        LogStats?[] kept = [new LogStats(65536, 65536, 524, 700, 176, 70_000), null];
        var text = MetricsText.Write(view, 1_700_000_000, null, new MetricsText.LogCounters(10, 20, 0, 3), false, kept);
        var lines = text.Split('\n');
        Assert.Contains("tend_service_log_lines_total{service=\"db\"} 700", lines);
        Assert.Contains("tend_service_log_bytes_total{service=\"db\"} 70000", lines);
        Assert.Contains("tend_service_log_buffer_dropped_lines_total{service=\"db\"} 176", lines);
        Assert.Contains("tend_service_log_buffer_lines{service=\"db\"} 524", lines);
        Assert.Contains("tend_service_log_buffer_capacity_bytes{service=\"db\"} 65536", lines);
        Assert.Contains("tend_service_log_buffer_allocated_bytes{service=\"db\"} 65536", lines);
        Assert.Contains("# TYPE tend_service_log_buffer_dropped_lines_total counter", lines);
        Assert.Contains("# TYPE tend_service_log_buffer_allocated_bytes gauge", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("tend_service_log_", StringComparison.Ordinal) && l.Contains("\"web\"",
            StringComparison.Ordinal));
        // Tend's own output, per stream: what its stdout and stderr took, and its own lines dropped.
        Assert.Contains("tend_log_written_bytes_total{stream=\"stderr\"} 20", lines);
        Assert.Contains("tend_log_own_dropped_lines_total{stream=\"stderr\"} 3", lines);
        // Without the buffers' stats (no relay at all), no family of theirs.
        Assert.DoesNotContain("tend_service_log_", MetricsText.Write(view, 1_700_000_000, null, default, false), StringComparison.Ordinal);
    }

    /// <summary>Tend's own process and collector, read at the scrape: this test process stands in for Tend.</summary>
    [Fact]
    public void Tends_own_memory_cpu_descriptors_and_collector_are_series()
    {
        var before = GC.GetTotalAllocatedBytes(precise: false);
        GC.Collect(); // the heap's figures are those of the last collection
        var lines = MetricsText.Write(View(Running(true), Running(true)), 1_700_000_000, null, default, false).Split('\n');
        double Value(string name) => double.Parse(lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length +
            1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", lines);
        Assert.Contains("# TYPE process_cpu_seconds_total counter", lines);
        Assert.True(Value("process_resident_memory_bytes") > 1 << 20, "a .NET process holds more than 1 MiB");
        Assert.True(Value("process_cpu_seconds_total") > 0);
        Assert.True(Value("process_open_fds") >= 3, "stdin, stdout and stderr at least");
        Assert.True(Value("tend_gc_allocated_bytes_total") >= before);
        Assert.True(Value("tend_gc_committed_bytes") > 0);
        Assert.True(Value("tend_gc_heap_bytes") > 0);
        Assert.Equal(GC.MaxGeneration + 1, lines.Count(l => l.StartsWith("tend_gc_collections_total{generation=",
            StringComparison.Ordinal)));
    }

    [Fact]
    public void OpenMetrics_is_served_when_asked_for()
    {
        var answer = Get("/metrics", View(Running(true), Running(true)), "application/openmetrics-text; version=1.0.0");
        Assert.Equal(MetricsText.OpenMetricsType, answer.ContentType);
        Assert.Contains("# TYPE tend_service_restarts counter\n", answer.Body);
        Assert.EndsWith("# EOF\n", answer.Body);
    }

    [Fact]
    public void A_response_has_its_length_and_closes_and_HEAD_has_no_body()
    {
        var answer = HttpAnswer.Text(405, "method not allowed");
        var full = Encoding.ASCII.GetString(answer.Bytes(head: false, http10: false));
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", full);
        Assert.Contains("\r\nAllow: GET, HEAD\r\n", full);
        Assert.Contains("\r\nContent-Length: 19\r\n", full);
        Assert.Contains("\r\nConnection: close\r\n", full);
        Assert.EndsWith("\r\n\r\nmethod not allowed\n", full);
        Assert.EndsWith("\r\n\r\n", Encoding.ASCII.GetString(answer.Bytes(head: true, http10: true)));
    }
}
