using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tend.Posix;
using Xunit.Abstractions;

namespace Tend.Tests.Http;

/// <summary>
/// The HTTP endpoint of a real Tend (PID 1 of its own PID namespace) on 127.0.0.1 with a port the kernel chose: health
/// that follows a service, a real Prometheus scraping it, promtool checking it, and hostile clients that never stall
/// supervision.
/// </summary>
public sealed class HttpEndpointProcessTests(ITestOutputHelper output)
{
    private static void WaitFor(Func<bool> condition, string what, double seconds = 20)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"{what} within {seconds}s");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void Healthz_ready_follows_a_services_readiness()
    {
        var dir = Directory.CreateTempSubdirectory("tend-http-").FullName;
        var flag = Path.Combine(dir, "ready");
        try
        {
            using var run = TendRun.Start("--http", "127.0.0.1:0", "--ready", $"sleep=file:{flag}", "sleep 1000");
            var port = RawHttp.Port(run);
            run.Next("sleep", "started");
            // Until the supervisor's first round is published every answer is 503 "tend is starting": wait for its state.
            WaitFor(() => RawHttp.Get(port, "/healthz/sleep").Body.Contains("not ready (starting)", StringComparison.Ordinal),
                "/healthz/sleep never showed the service starting");
            Assert.Equal(503, RawHttp.Get(port, "/healthz?level=ready").Status);
            Assert.Equal(503, RawHttp.Get(port, "/healthz/sleep").Status);
            Assert.Equal(200, RawHttp.Get(port, "/healthz?level=alive").Status); // starting up is alive

            File.WriteAllText(flag, "");
            run.Next("sleep", "ready");
            WaitFor(() => RawHttp.Get(port, "/healthz?level=ready").Status == 200,
                "/healthz?level=ready did not turn 200 after the ready event");
            Assert.Equal(200, RawHttp.Get(port, "/healthz/sleep").Status);
            Assert.Equal(200, RawHttp.Get(port, "/healthz").Status);

            // Killed: its next run is not ready (the flag is gone), so health is 503 again.
            File.Delete(flag);
            var pid = run.Find("sleep")!.Value;
            Assert.Equal(0, TendRun.kill(pid, Libc.SIGKILL));
            run.Next("sleep", "started");
            WaitFor(() => RawHttp.Get(port, "/healthz?level=ready").Status == 503, "/healthz?level=ready did not turn 503 after the kill");
            var (status, _, body) = RawHttp.Get(port, "/healthz/sleep");
            Assert.Equal(503, status);
            Assert.Contains("not ready (starting)", body);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Without_http_nothing_listens_and_a_bad_address_is_a_usage_error()
    {
        var (code, _, err) = TendRun.Refused(["--http", "localhost:9100", "sleep 1"]);
        Assert.Equal(2, code);
        Assert.Contains("option '--http'", err);
        Assert.Contains("not an IP address", err);
        (code, _, err) = TendRun.Refused(["--http", "127.0.0.1:99999", "sleep 1"]);
        Assert.Equal(2, code);
        Assert.Contains("not a port", err);
        (code, _, err) = TendRun.Refused(["--http", "127.0.0.1:0", "--no-http", "sleep 1"]);
        Assert.Equal(2, code);
        Assert.Contains("contradict", err);

        using var run = TendRun.Start("sleep 1000");
        run.Next("sleep", "started");
        Assert.DoesNotContain(run.Events, e => TendRun.Str(e, "message")?.Contains("/metrics", StringComparison.Ordinal) == true);
        // No TCP socket of Tend's listens (state 0A in /proc/net/tcp, proc(5)).
        var listening = File.ReadAllLines($"/proc/{run.Pid}/net/tcp").Skip(1).Select(l => l.Split(' ',
            StringSplitOptions.RemoveEmptyEntries)).Where(f => f[3] == "0A").Select(f => f[9]).ToList();
        var tends = Inode(run.Pid);
        Assert.DoesNotContain(listening, tends.Contains);
    }

    /// <summary>
    /// An endpoint asked for that cannot listen (its port taken) ends Tend before anything starts, with exit 2 and one
    /// line naming the address, the reason and the way out; no silent run without it (a probe would fail forever).
    /// </summary>
    [Fact]
    public void An_http_address_in_use_ends_tend_at_start()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        // As PID 1 of its own PID namespace, as in a container: it exits, and its service never started.
        using var run = TendRun.Start("--http", $"127.0.0.1:{port}", "sleep 1000");
        Assert.Equal(2, run.WaitForExit(30));
        Assert.DoesNotContain(run.Events, e => TendRun.Str(e, "event") == "started");
        var err = run.Stderr;
        Assert.Contains($"tend: error: option '--http': cannot listen on 127.0.0.1:{port}: Address already in use; give '--http' " +
            "another ADDRESS:PORT, or '--no-http' to run without the endpoint", err);
    }

    /// <summary>
    /// The new user's case: a command-line service named after its program, with a capital and a non-ASCII letter, that
    /// completed (restart on-failure, exit 0). /healthz, /healthz/NAME (percent-encoded as curl sends it, or raw UTF-8)
    /// and tend_service_up agree that it is up; the name is compared exactly (lowercase is another name).
    /// </summary>
    [Fact]
    public void A_completed_service_with_a_non_ASCII_name_is_up_everywhere()
    {
        var dir = Directory.CreateTempSubdirectory("tend-http-").FullName;
        try
        {
            var script = Path.Combine(dir, "Sérvice.sh");
            File.WriteAllText(script, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
            using var run = TendRun.Start("--http", "127.0.0.1:0", "--restart", "on-failure", script, "sleep 1000");
            var port = RawHttp.Port(run);
            run.NextAll(("Sérvice.sh", "completed"), ("sleep", "started"));
            // The endpoint answers from the state the supervisor publishes at the end of its round, just after the event.
            WaitFor(() => RawHttp.Get(port, "/healthz/S%C3%A9rvice.sh").Body.Contains("(completed)"),
                "/healthz/NAME never showed the completed run");
            Assert.Equal(200, RawHttp.Get(port, "/healthz").Status);
            var (status, _, body) = RawHttp.Get(port, "/healthz/S%C3%A9rvice.sh");
            Assert.Equal((200, "Sérvice.sh: ready (completed)\n"), (status, body));
            Assert.Equal(200, RawHttp.Send(port, Encoding.UTF8.GetBytes("GET /healthz/Sérvice%2Esh HTTP/1.1\r\n\r\n")).Status);
            (status, _, body) = RawHttp.Get(port, "/healthz/s%C3%A9rvice.sh");
            Assert.Equal(404, status);
            Assert.Contains("no service is named 'sérvice.sh'; the services are: Sérvice.sh, sleep", body);
            Assert.Equal(400, RawHttp.Get(port, "/healthz/S%C3rvice.sh").Status);
            Assert.Contains("tend_service_up{service=\"Sérvice.sh\"} 1", RawHttp.Get(port, "/metrics").Body.Split('\n'));
            Assert.Equal(0, run.Ctl("health").Code);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// A scheduled task's runs are runs, not restarts: after three runs its restarts stay 0 in /metrics and tend status,
    /// while tend_service_runs_total counts them; a long-running service killed once has one restart and two runs.
    /// </summary>
    [Fact]
    public void Scheduled_runs_are_counted_as_runs_and_only_restarts_as_restarts()
    {
        using var run = TendRun.Start("--http", "127.0.0.1:0", "--schedule", "sh=* * * * * *", "sh -c 'exit 0'", "sleep 1000");
        var port = RawHttp.Port(run);
        run.Next("sleep", "started");
        Assert.Equal(0, TendRun.kill(run.Find("sleep")!.Value, Libc.SIGKILL)); // its pid outside Tend's PID namespace
        Assert.Equal(1, TendRun.Int(run.Next("sleep", "started"), "restarts"));
        for (var k = 0; k < 3; k++) run.Next("sh", "completed", 10);
        var lines = RawHttp.Get(port, "/metrics").Body.Split('\n');
        Assert.Contains("tend_service_restarts_total{service=\"sh\"} 0", lines);
        Assert.Contains("tend_service_restarts_total{service=\"sleep\"} 1", lines);
        Assert.Contains("tend_service_runs_total{service=\"sleep\"} 2", lines);
        var runs = double.Parse(lines.First(l => l.StartsWith("tend_service_runs_total{service=\"sh\"}", StringComparison.Ordinal))
            .Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(runs >= 3, $"tend_service_runs_total of sh is {runs} after three runs");
        var status = run.Ctl("status", "--json");
        var sh = JsonDocument.Parse(status.Out).RootElement.GetProperty("services")[0];
        Assert.Equal(0, sh.GetProperty("restarts").GetInt32());
        Assert.True(sh.GetProperty("runs").GetInt32() >= 3, status.Out);
        Assert.Matches(@"\nsh +\S+ +\S+ +\S+ +\S+ +\S+ +0 ", run.Ctl("status").Out); // RESTARTS 0
    }

    /// <summary>The inodes of the sockets process <paramref name="pid"/> holds.</summary>
    private static HashSet<string> Inode(int pid) =>
        Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget
            ?? "").Where(t => t.StartsWith("socket:[", StringComparison.Ordinal)).Select(t => t[8..^1]).ToHashSet();

    [Fact]
    public void Promtool_accepts_the_metrics_in_both_formats()
    {
        using var run = TendRun.Start("--http", "127.0.0.1:0", "--alive", "sleep=cmd:true", "--alive-interval", "100ms", "sleep 1000",
            "sleep 1001");
        var port = RawHttp.Port(run);
        run.NextAll(("sleep", "started"), ("sleep-2", "started"));
        WaitFor(() => RawHttp.Get(port, "/metrics").Body.Contains("tend_service_alive_check_duration_seconds{service=\"sleep\"}",
            StringComparison.Ordinal), "no liveness latency in /metrics");
        var (status, head, body) = RawHttp.Get(port, "/metrics");
        Assert.Equal(200, status);
        Assert.Contains("Content-Type: text/plain; version=0.0.4", head);
        Assert.Contains("tend_service_memory_rss_bytes{service=\"sleep\"}", body);
        Assert.Contains("tend_service_processes{service=\"sleep\"} 1", body);
        var rss = double.Parse(body.Split('\n').First(l => l.StartsWith("tend_service_memory_rss_bytes{service=\"sleep\"}",
            StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(rss > 100_000, $"sleep's RSS read as {rss} bytes");
        Promtool(body);
        var om = RawHttp.Get(port, "/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n");
        Assert.Contains("Content-Type: application/openmetrics-text", om.Head);
        Assert.EndsWith("# EOF\n", om.Body);
        output.WriteLine(body);
    }

    [Fact]
    public void Log_bytes_and_lines_dropped_from_the_buffer_are_counted_per_service()
    {
        // sh prints 100 lines of 8 bytes into a 1 KiB ring: 32 of them fit (a 24-byte header each), 68 are dropped from it
        // (and still reach stdout). sleep's output is not kept (sleep=0): no log series for it.
        using var run = TendRun.Start("--http", "127.0.0.1:0", "--log-buffer", "sh=1KiB", "--log-buffer", "sleep=0",
            "sh -c 'i=0; while [ $i -lt 100 ]; do printf \"line-%03d\\n\" $i; i=$((i+1)); done; exec sleep 1000'", "sleep 1000");
        var port = RawHttp.Port(run);
        run.NextAll(("sh", "started"), ("sleep", "started"));
        WaitFor(() => RawHttp.Get(port, "/metrics").Body.Contains("tend_service_log_lines_total{service=\"sh\"} 100\n",
            StringComparison.Ordinal), "/metrics never counted sh's 100 lines");
        var (status, _, body) = RawHttp.Get(port, "/metrics");
        Assert.Equal(200, status);
        var lines = body.Split('\n');
        Assert.Contains("tend_service_log_bytes_total{service=\"sh\"} 800", lines);
        Assert.Contains("tend_service_log_buffer_dropped_lines_total{service=\"sh\"} 68", lines);
        Assert.Contains("tend_service_log_buffer_lines{service=\"sh\"} 32", lines);
        Assert.Contains("tend_service_log_buffer_capacity_bytes{service=\"sh\"} 1024", lines);
        Assert.Contains("tend_service_log_buffer_allocated_bytes{service=\"sh\"} 1024", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("tend_service_log_", StringComparison.Ordinal) && l.Contains("\"sleep\"",
            StringComparison.Ordinal));
        // Dropped from the buffer only: every line reached Tend's stdout, and 'tend logs' shows the last 32.
        run.WaitForStdout("line-099\n");
        Assert.Contains("line-000\n", run.Stdout);
        var (code, logs, _) = run.Ctl("logs", "sh");
        Assert.Equal(0, code);
        Assert.Contains("line-099", logs);
        Assert.DoesNotContain("line-067", logs);
        Assert.Contains("line-068", logs);
        Promtool(body);
        output.WriteLine(string.Join('\n', lines.Where(l => l.Contains("_log_", StringComparison.Ordinal))));
    }

    private static void Promtool(string metrics)
    {
        var psi = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true,
            RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(metrics);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var outText = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "promtool did not return");
        Assert.True(p.ExitCode == 0, $"promtool check metrics refused the output:\n{outText}{err.Result}\n{metrics}");
    }

    [Fact]
    public void A_real_Prometheus_scrapes_the_restart_count()
    {
        using var run = TendRun.Start("--http", "127.0.0.1:0", "sleep 1000");
        var port = RawHttp.Port(run);
        run.Next("sleep", "started");
        for (var k = 0; k < 2; k++)
        {
            Assert.Equal(0, TendRun.kill(run.Find("sleep")!.Value, Libc.SIGKILL));
            run.Next("sleep", "started");
        }
        var dir = Directory.CreateTempSubdirectory("tend-prometheus-").FullName;
        Process? prometheus = null;
        try
        {
            File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: tend
                    static_configs:
                      - targets: ['127.0.0.1:{port}']
                """);
            var webPort = FreePort();
            var psi = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { $"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data",
                $"--web.listen-address=127.0.0.1:{webPort}" })
                psi.ArgumentList.Add(a);
            prometheus = Process.Start(psi)!;
            prometheus.OutputDataReceived += (_, _) => { };
            prometheus.ErrorDataReceived += (_, _) => { };
            prometheus.BeginOutputReadLine();
            prometheus.BeginErrorReadLine();
            string? value = null;
            WaitFor(() =>
            {
                var query = Uri.EscapeDataString("tend_service_restarts_total{service=\"sleep\",job=\"tend\"}");
                try
                {
                    var (status, _, body) = RawHttp.Get(webPort, $"/api/v1/query?query={query}", seconds: 5);
                    if (status != 200) return false;
                    var result = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 0) return false;
                    value = result[0].GetProperty("value")[1].GetString();
                    return true;
                }
                catch (SocketException) { return false; } // Prometheus is not listening yet
            }, "Prometheus had no sample of tend_service_restarts_total", 90);
            Assert.Equal("2", value);
            // Prometheus saw the target up, too.
            var up = RawHttp.Get(webPort, $"/api/v1/query?query={Uri.EscapeDataString("up{job=\"tend\"}")}").Body;
            Assert.Contains("\"1\"]", up);
            // And a per-service log series, from the same scrape: sleep's buffer, 64 KiB by default.
            var capacity = RawHttp.Get(webPort, "/api/v1/query?query=" +
                Uri.EscapeDataString("tend_service_log_buffer_capacity_bytes{service=\"sleep\",job=\"tend\"}")).Body;
            Assert.Contains("\"65536\"]", capacity);
            output.WriteLine($"PromQL tend_service_restarts_total{{service=\"sleep\"}} = {value}");
        }
        finally
        {
            if (prometheus is not null && !prometheus.HasExited)
            {
                _ = TendRun.kill(prometheus.Id, Libc.SIGKILL);
                prometheus.WaitForExit();
            }
            Directory.Delete(dir, true);
        }
    }

    private static int FreePort()
    {
        using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)l.LocalEndPoint!).Port;
    }

    private static long RssKiB(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ',
            StringSplitOptions.RemoveEmptyEntries)[1]);

    [Fact]
    public void Hostile_clients_are_each_refused_or_timed_out_and_supervision_goes_on()
    {
        using var run = TendRun.Start("--http", "127.0.0.1:0", "sleep 1000");
        var port = RawHttp.Port(run);
        run.Next("sleep", "started");
        // Until the supervisor's first round is published, the endpoint answers 503 ("tend is starting").
        WaitFor(() => RawHttp.Get(port, "/metrics").Status == 200, "/metrics did not answer 200");
        var rssBefore = RssKiB(run.Pid);

        // Garbage, a TLS hello, a 64 KiB header, a POST: each answered with its status.
        Assert.Equal(400, RawHttp.Send(port, "\0\x01\x02garbage\r\n\r\n").Status);
        Assert.Equal(400, RawHttp.Send(port, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]).Status);
        Assert.Equal(431, RawHttp.Get(port, "/metrics", "X-Big: " + new string('x', 64 * 1024) + "\r\n").Status);
        Assert.Equal(414, RawHttp.Send(port, "GET /" + new string('a', 64 * 1024) + " HTTP/1.1\r\n\r\n").Status);
        Assert.Equal(405, RawHttp.Send(port, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").Status);

        // 1000 slow clients that never finish their request, while a flood of 2000 connections are opened and dropped.
        var slow = new List<Socket>();
        void Slow(int count)
        {
            for (var k = 0; k < count; k++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                slow.Add(s);
                s.Connect(IPAddress.Loopback, port);
                s.Send("GET /metr"u8.ToArray());
            }
        }
        try
        {
            var flood = new Thread(() =>
            {
                for (var k = 0; k < 2000; k++)
                {
                    using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    try { s.Connect(IPAddress.Loopback, port); }
                    catch (SocketException) { }
                }
            });
            flood.Start();
            Slow(990);
            flood.Join();
            Slow(10);

            // Meanwhile supervision restarts a killed service at once, and a probe is still answered.
            var old = run.Find("sleep")!.Value;
            Assert.Equal(0, TendRun.kill(old, Libc.SIGKILL));
            var (fresh, took) = run.WaitForNew("sleep", old);
            Assert.NotEqual(old, fresh);
            Assert.Equal(200, RawHttp.Get(port, "/healthz").Status);
            var rssDuring = RssKiB(run.Pid);
            output.WriteLine($"restart during 1000 slow connections after a flood of 2000: {took.TotalMilliseconds:F1} ms; Tend's " +
                $"RSS {rssBefore} KiB before, {rssDuring} KiB during");

            // The newest slow connection is answered 408 at its deadline; the older ones were closed to make room.
            var newest = slow[^1];
            newest.ReceiveTimeout = 20_000;
            var buffer = new byte[512];
            var n = newest.Receive(buffer);
            Assert.StartsWith("HTTP/1.0 408", Encoding.ASCII.GetString(buffer, 0, n));
            // The oldest was closed without an answer (a reset when its bytes were still unread).
            slow[0].ReceiveTimeout = 20_000;
            try { Assert.Equal(0, slow[0].Receive(buffer)); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
            // Memory stays bounded: 64 connections of 8 KiB at most, whatever the clients do.
            Assert.True(rssDuring - rssBefore < 16 * 1024,
                $"Tend's RSS grew from {rssBefore} KiB to {rssDuring} KiB under the connections");
        }
        finally
        {
            foreach (var s in slow) s.Dispose();
        }
        Assert.Equal(200, RawHttp.Get(port, "/metrics").Status);
    }
}

/// <summary><c>tend status</c> shows what each service's process tree uses, read from /proc when asked.</summary>
public sealed class StatusUsageTests
{
    [Fact]
    public void Status_shows_each_services_memory_and_cpu()
    {
        // A shell that burns some CPU in a child it waits for, then keeps running: its tree's CPU includes the reaped child's.
        using var run = TendRun.Start("sh -c 'sh -c \"i=0; while [ \\$i -lt 200000 ]; do i=\\$((i+1)); done\"; exec sleep 1000'",
            "sleep 1000");
        run.NextAll(("sh", "started"), ("sleep", "started"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        JsonElement sh;
        do
        {
            var (code, json, err) = run.Ctl("status", "--json");
            Assert.True(code == 0, err);
            sh = JsonDocument.Parse(json).RootElement.GetProperty("services").EnumerateArray().First(s =>
                s.GetProperty("name").GetString() == "sh");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the busy loop never showed as CPU time");
        } while (sh.GetProperty("cpuSeconds").GetDouble() <= 0);
        Assert.True(sh.GetProperty("rssBytes").GetInt64() > 100_000);
        var (_, table, _) = run.Ctl("status");
        Assert.Contains("MEM", table);
        Assert.Matches(@"\nsleep\s+running\s+\d+\s+\S+\s+\d+(\.\d)?[KMG]\s+\d+\.\d\ds", table);
    }
}
