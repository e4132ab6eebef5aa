using System.Globalization;
using System.Text;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Http;

/// <summary>
/// The metrics of one moment in the Prometheus text exposition format 0.0.4, or OpenMetrics 1.0.0 when the scraper asks
/// for it (prometheus.io/docs/instrumenting/exposition_formats; OpenMetrics 1.0 specification): a family's HELP and
/// TYPE, then its samples; label values escaped; counters end in <c>_total</c> (in OpenMetrics the family's own name
/// drops the suffix, and the text ends with <c># EOF</c>).
/// </summary>
internal static class MetricsText
{
    /// <summary>The content type of the Prometheus text format.</summary>
    public const string PrometheusType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The content type of OpenMetrics text.</summary>
    public const string OpenMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>The state names a service can be in (<see cref="ServiceStatus.StateOf"/>), one sample of tend_service_state each.</summary>
    private static readonly string[] States = ["waiting", "starting", "running", "cleaning", "backoff", "stopping", "stopped", "failed",
        "completed", "scheduled"];

    /// <summary>
    /// Counters of Tend's output (<see cref="OutputRelay.Counters"/>), per stream (stdout, stderr): bytes written, and lines of
    /// Tend's own (events, info, errors) dropped because the sink did not take them in time. The services' lines are never
    /// dropped there: their pipes wait for the sink (back-pressure).
    /// </summary>
    public readonly record struct LogCounters(long StdoutBytes, long StderrBytes, long StdoutDropped, long StderrDropped);

    /// <summary>
    /// Writes the metrics of <paramref name="view"/>: per service its state, up, restarts, last exit, start time,
    /// readiness and liveness with the last check's latency, (given <paramref name="usage"/>) its processes' memory
    /// and CPU, and (given <paramref name="kept"/>) what Tend read of its output and what its log buffer holds; Tend's
    /// health (the rule of <c>tend health</c>) and its output's counters.
    /// </summary>
    /// <param name="view">The supervisor's latest state, its <c>Now</c> the moment of the scrape (ms on the monotonic clock).</param>
    /// <param name="wallNowSeconds">The wall clock at that moment, in seconds since the Unix epoch (for start times).</param>
    /// <param name="usage">Each service's processes, read from /proc for this scrape, or null to leave those families out.</param>
    /// <param name="logs">The output's counters.</param>
    /// <param name="openMetrics">OpenMetrics instead of the Prometheus text format.</param>
    /// <param name="kept">
    /// Each service's log buffer (<see cref="ServiceLogs.Stats"/>, read for this scrape), null for a service whose output
    /// Tend does not read (<see cref="ServiceLogs.Keeps"/>: <c>--log-buffer 0</c> without a log-line readiness check, so it
    /// writes to Tend's stdout and stderr itself); null to leave those families out.
    /// </param>
    public static string Write(SupervisorView view, double wallNowSeconds, IReadOnlyList<ServiceUsage>? usage, LogCounters logs,
        bool openMetrics, IReadOnlyList<LogStats?>? kept = null)
    {
        var w = new Writer(openMetrics);
        var (table, _, runtimes, now) = view;
        var (healthy, _) = Control.ControlDecisions.Health(view);
        w.Family("tend_healthy", "gauge",
            "1 when Tend is healthy by the rule of 'tend health' and /healthz: every service up (tend_service_up), and Tend " +
                "neither draining nor shutting down");
        w.Sample("tend_healthy", null, healthy ? 1 : 0);
        w.Family("tend_services", "gauge", "services Tend supervises");
        w.Sample("tend_services", null, table.Count);

        w.Family("tend_service_state", "gauge", "1 for the state the service is in (tend status), 0 for the others");
        for (var i = 0; i < table.Count; i++)
        {
            var state = ServiceStatus.StateOf(table.Services[i], runtimes[i]);
            foreach (var s in States) w.Sample("tend_service_state", [("service", table.Services[i].Name), ("state", s)],
                s == state ? 1 : 0);
        }
        // One rule for "up" everywhere: tend health, /healthz, /healthz/NAME and this gauge (ControlDecisions.IsUp).
        PerService(w, view, "tend_service_up", "gauge",
            "1 while the service is up by the rule of 'tend health', /healthz and /healthz/NAME: running and ready, a one-shot " +
                "(or a run its restart policy does not restart) completed, or a scheduled task's schedule active; 0 otherwise " +
                "(whether a process runs: tend_service_state running or starting)",
            (s, r) => Control.ControlDecisions.IsUp(s, r) ? 1 : 0);
        PerService(w, view, "tend_service_ready", "gauge",
            "1 while the service is ready for the services that depend on it: running and its readiness check passed, a one-shot " +
                "task completed, or a scheduled task's schedule active",
            (s, r) => Reconciler.IsReady(s, r) ? 1 : 0);
        PerService(w, view, "tend_service_restarts_total", "counter",
            "restarts of the service: starts after its first by its restart policy after an exit, after a failed liveness check " +
                "or watchdog, or on request (tend restart, tend start after a stop); a scheduled task's runs are never restarts",
            (_, r) => r.Restarts);
        PerService(w, view, "tend_service_runs_total", "counter",
            "runs of the service started, every kind: its first, its restarts, and each run of a scheduled task (due or tend run)",
            (_, r) => r.Starts);
        PerService(w, view, "tend_service_start_time_seconds", "gauge",
            "when the service's current or last run started, in seconds since the Unix epoch (0: never)",
            (_, r) => r.Starts == 0 ? 0 : Math.Round(wallNowSeconds - (now - r.StartedAt) / 1000.0, 3));
        PerService(w, view, "tend_service_last_exit_code", "gauge",
            "the exit code of the service's last run (-1: none ended, or it was killed by a signal)",
            (_, r) => r.LastExit is { Unknown: false, Signal: 0 } e ? e.Code : -1);
        PerService(w, view, "tend_service_last_exit_signal", "gauge", "the signal that ended the service's last run (0: none)",
            (_, r) => r.LastExit is { Unknown: false } e ? e.Signal : 0);
        PerService(w, view, "tend_service_healthy", "gauge",
            "for a service with a liveness check: 1 while its checks pass, 0 while they fail (NaN before the first)",
            (s, r) => s.Alive is null ? null : ServiceStatus.HealthOf(s, r) switch { "healthy" => 1, "failing" or "unhealthy" => 0,
                _ => double.NaN });
        CheckFamilies(w, view, "ready", r => r.LastReadyCheck);
        CheckFamilies(w, view, "alive", r => r.LastAliveCheck);
        if (usage is not null)
        {
            PerService(w, view, "tend_service_processes", "gauge", "processes of the service's run, read from /proc at this scrape", (_,
                _) => null, usage.Select(u => (double?)u.Processes));
            PerService(w, view, "tend_service_memory_rss_bytes", "gauge",
                "resident memory of the service's processes in bytes, read from /proc at this scrape", (_, _) => null,
                usage.Select(u => (double?)u.RssBytes));
            PerService(w, view, "tend_service_cpu_seconds_total", "counter",
                "CPU time of the service's processes (and the children they reaped) in seconds, read from /proc at this scrape", (_,
                _) => null, usage.Select(u => (double?)Math.Round(u.CpuSeconds, 2)));
        }
        if (kept is not null) ServiceLogFamilies(w, view, kept);
        w.Family("tend_log_written_bytes_total", "counter",
            "bytes Tend wrote to its stdout and stderr: its own lines and the output of the services it relays (all but those with " +
                "--log-buffer 0 and no --log-prefix, which write there themselves)");
        w.Sample("tend_log_written_bytes_total", [("stream", "stdout")], logs.StdoutBytes);
        w.Sample("tend_log_written_bytes_total", [("stream", "stderr")], logs.StderrBytes);
        w.Family("tend_log_own_dropped_lines_total", "counter",
            "lines of Tend's own (events, info, errors) dropped because its stdout or stderr did not take them in time " +
                "(the services' lines are never dropped: their pipes wait)");
        w.Sample("tend_log_own_dropped_lines_total", [("stream", "stdout")], logs.StdoutDropped);
        w.Sample("tend_log_own_dropped_lines_total", [("stream", "stderr")], logs.StderrDropped);
        OwnFamilies(w);
        return w.End();
    }

    /// <summary>
    /// Tend's own process, read at the scrape: the process collector's names of the Prometheus client guidelines
    /// (prometheus.io/docs/instrumenting/writing_clientlibs, "Process metrics": resident memory from /proc/self/statm,
    /// CPU time user + system, open descriptors), and its garbage collector's counters (GC.GetTotalAllocatedBytes,
    /// GC.CollectionCount, GC.GetGCMemoryInfo) — what PID 1 allocates per event is what its memory depends on.
    /// </summary>
    private static void OwnFamilies(Writer w)
    {
        if (ProcFs.TryReadUsage(Libc.getpid(), out var rss, out _))
        {
            w.Family("process_resident_memory_bytes", "gauge", "Tend's resident memory in bytes");
            w.Sample("process_resident_memory_bytes", null, rss);
        }
        w.Family("process_cpu_seconds_total", "counter", "CPU time Tend spent, user and system, in seconds");
        w.Sample("process_cpu_seconds_total", null, Math.Round(Environment.CpuUsage.TotalTime.TotalSeconds, 3));
        var fds = ProcFs.CountOpenFds();
        if (fds >= 0)
        {
            w.Family("process_open_fds", "gauge", "file descriptors Tend holds open");
            w.Sample("process_open_fds", null, fds);
        }
        w.Family("tend_gc_allocated_bytes_total", "counter", "bytes Tend's code allocated on the managed heap since it started");
        w.Sample("tend_gc_allocated_bytes_total", null, GC.GetTotalAllocatedBytes(precise: false));
        w.Family("tend_gc_collections_total", "counter",
            "garbage collections of each generation (a collection of 2 counts for 1 and 0 too)");
        for (var g = 0; g <= GC.MaxGeneration; g++)
            w.Sample("tend_gc_collections_total", [("generation", g.ToString(CultureInfo.InvariantCulture))], GC.CollectionCount(g));
        var info = GC.GetGCMemoryInfo();
        w.Family("tend_gc_heap_bytes", "gauge", "the managed heap's size in bytes after the last collection");
        w.Sample("tend_gc_heap_bytes", null, info.HeapSizeBytes);
        w.Family("tend_gc_committed_bytes", "gauge", "memory the garbage collector had committed at the last collection, in bytes");
        w.Sample("tend_gc_committed_bytes", null, info.TotalCommittedBytes);
    }

    /// <summary>
    /// Per service whose output Tend reads: lines and bytes read, lines its log buffer dropped, the buffer's size and
    /// memory reserved (<see cref="LogRing"/>).
    /// </summary>
    private static void ServiceLogFamilies(Writer w, SupervisorView view, IReadOnlyList<LogStats?> kept)
    {
        PerService(w, view, "tend_service_log_lines_total", "counter",
            "lines the service wrote to stdout and stderr, read by Tend (every run; a line over 16 KiB counts as its pieces)", (_,
            _) => null, kept.Select(k => (double?)k?.Added));
        PerService(w, view, "tend_service_log_bytes_total", "counter",
            "bytes of the lines the service wrote to stdout and stderr, read by Tend (newlines not counted)", (_, _) => null,
            kept.Select(k => (double?)k?.Bytes));
        PerService(w, view, "tend_service_log_buffer_dropped_lines_total", "counter",
            "the service's oldest lines dropped from its log buffer to make room, so 'tend logs' no longer shows them (they still " +
                "reached Tend's stdout or stderr); every line when the buffer is 0", (_, _) => null, kept.Select(k => (double?)k?.Dropped));
        PerService(w, view, "tend_service_log_buffer_lines", "gauge", "lines the service's log buffer holds now", (_, _) => null,
            kept.Select(k => (double?)k?.Lines));
        PerService(w, view, "tend_service_log_buffer_capacity_bytes", "gauge",
            "the size of the service's log buffer in bytes (--log-buffer), headers of 24 bytes a line included", (_, _) => null,
            kept.Select(k => (double?)k?.Capacity));
        PerService(w, view, "tend_service_log_buffer_allocated_bytes", "gauge",
            "bytes reserved for the service's log buffer: 0 until its first line, then its capacity (a page costs memory once " +
                "written)", (_, _) => null, kept.Select(k => (double?)k?.Allocated));
    }

    private static void CheckFamilies(Writer w, SupervisorView view, string check, Func<ServiceRuntime, CheckOutcome?> last)
    {
        var with = Enumerable.Range(0, view.Table.Count).Where(i => last(view.Runtimes[i]) is not null).ToList();
        var name = $"tend_service_{check}_check";
        w.Family(name + "_success", "gauge", $"1 when the service's last {(check == "ready" ? "readiness" : "liveness")} check passed");
        foreach (var i in with) w.Sample(name + "_success", [("service", view.Table.Services[i].Name)],
            last(view.Runtimes[i])!.Value.Passed ? 1 : 0);
        w.Family(name + "_duration_seconds", "gauge",
            $"how long the service's last {(check == "ready" ? "readiness" : "liveness")} check took, in seconds");
        foreach (var i in with) w.Sample(name + "_duration_seconds", [("service", view.Table.Services[i].Name)],
            Math.Round(last(view.Runtimes[i])!.Value.Seconds, 6));
    }

    private static void PerService(Writer w, SupervisorView view, string name, string type, string help, Func<ServiceSpec, ServiceRuntime,
        double?> value, IEnumerable<double?>? values = null)
    {
        w.Family(name, type, help);
        var given = values?.ToList();
        for (var i = 0; i < view.Table.Count; i++)
            if ((given is null ? value(view.Table.Services[i], view.Runtimes[i]) : given[i]) is { } v)
                w.Sample(name, [("service", view.Table.Services[i].Name)], v);
    }

    private sealed class Writer(bool openMetrics)
    {
        private readonly StringBuilder _sb = new(4096);

        public void Family(string name, string type, string help)
        {
            var family = openMetrics && type == "counter" && name.EndsWith("_total",
                StringComparison.Ordinal) ? name[..^"_total".Length] : name;
            _sb.Append("# HELP ").Append(family).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n",
                "\\n", StringComparison.Ordinal)).Append('\n');
            _sb.Append("# TYPE ").Append(family).Append(' ').Append(type).Append('\n');
        }

        public void Sample(string name, (string Name, string Value)[]? labels, double value)
        {
            _sb.Append(name);
            if (labels is { Length: > 0 })
            {
                _sb.Append('{');
                for (var k = 0; k < labels.Length; k++)
                {
                    if (k > 0) _sb.Append(',');
                    _sb.Append(labels[k].Name).Append("=\"");
                    foreach (var c in labels[k].Value)
                        _ = c switch { '\\' => _sb.Append("\\\\"), '"' => _sb.Append("\\\""), '\n' => _sb.Append("\\n"),
                            _ => _sb.Append(c) };
                    _sb.Append('"');
                }
                _sb.Append('}');
            }
            _sb.Append(' ').Append(Format(value)).Append('\n');
        }

        public string End()
        {
            if (openMetrics) _sb.Append("# EOF\n");
            return _sb.ToString();
        }

        private static string Format(double v) =>
            double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : v.ToString("R",
                CultureInfo.InvariantCulture);
    }
}
