using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Logs;

/// <summary>
/// Issue 27: <c>tend logs</c>, <c>tend status --watch</c>, the termination log and log-line readiness, with real
/// processes and Tend as PID 1 of a PID namespace (through <see cref="TendRun"/>, with --keep-run).
/// </summary>
public sealed class LogsProcessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tend-logs-");
    private readonly List<Client> _clients = [];

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
        _dir.Delete(recursive: true);
    }

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private static void Until(Func<bool> condition, string what, double seconds = 15)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"{what}: not within {seconds}s");
            Thread.Sleep(20);
        }
    }

    /// <summary>A client that streams (<c>logs -f</c>, <c>status --watch</c>): its stdout lines as they come; killed by pid on
    /// dispose.</summary>
    private sealed class Client : IDisposable
    {
        private readonly Process _p;
        private readonly List<string> _lines = [];
        private readonly StringBuilder _err = new();

        public Client(string socket, params string[] args)
        {
            var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["TEND_CONTROL_SOCKET"] = socket;
            _p = Process.Start(psi)!;
            _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
            _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Append(e.Data).Append('\n'); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }

        public List<string> Lines { get { lock (_lines) return [.. _lines]; } }

        /// <summary>Waits until a line satisfies <paramref name="match"/>; returns the lines so far.</summary>
        public List<string> WaitFor(Func<string, bool> match, string what, double seconds = 15)
        {
            var sw = Stopwatch.StartNew();
            lock (_lines)
            {
                while (!_lines.Any(match))
                {
                    var left = TimeSpan.FromSeconds(seconds) - sw.Elapsed;
                    if (left <= TimeSpan.Zero || _p.HasExited && !_lines.Any(match))
                    {
                        lock (_err)
                            throw new TimeoutException($"{what}: not within {seconds}s; lines: {string.Join(" / ", _lines)}; " +
                                $"stderr: {_err}");
                    }
                    Monitor.Wait(_lines, left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
                }
                return [.. _lines];
            }
        }

        public void Dispose()
        {
            try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
            _p.WaitForExit(5000);
            _p.Dispose();
        }
    }

    private Client Follow(TendRun t, params string[] args)
    {
        var c = new Client(t.SocketPath, args);
        _clients.Add(c);
        return c;
    }

    private static List<JsonElement> Json(string output) =>
        [.. output.Split('\n',
            StringSplitOptions.RemoveEmptyEntries).Select(l => { using var d = JsonDocument.Parse(l); return d.RootElement.Clone(); })];

    [Fact]
    public void A_service_that_prints_and_crashes_shows_its_last_lines_after_the_crash_with_their_run_stream_and_time()
    {
        // Its stderr line first, and only once Tend kept it (asked from inside, as an operator would): the two pipes are
        // read by two threads, so the order between them is otherwise not decided.
        using var t = Start("--restart", "never",
            $"sh -c 'echo \"about to crash\" >&2; until {Binary} logs sh | grep -q crash; do sleep 0.02; done; for i in 1 2 3 4 5 6 7; " +
                $"do echo line $i; done; kill -SEGV $$'", "sleep 1000");
        t.Next("sh", "failed");
        var (code, output, err) = t.Ctl("logs", "sh", "-n", "5");
        Assert.True(code == 0, err);
        Assert.Equal("line 3\nline 4\nline 5\nline 6\nline 7\n", output);
        var lines = Json(t.Ctl("logs", "sh", "--json").Out);
        Assert.Equal(8, lines.Count);
        Assert.All(lines, l => Assert.Equal(1, l.GetProperty("run").GetInt32()));
        Assert.All(lines, l => Assert.Equal("sh", l.GetProperty("service").GetString()));
        Assert.Equal(["stderr:about to crash", "stdout:line 1"],
            lines.Take(2).Select(l => $"{l.GetProperty("stream").GetString()}:{l.GetProperty("text").GetString()}"));
        var time = DateTimeOffset.Parse(lines[0].GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - time, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        // The service's output on Tend's own streams is unchanged: docker logs still has it.
        t.WaitForStdout("line 7\n");
    }

    [Fact]
    public void An_unknown_service_is_a_clear_error_with_exit_code_2_and_bad_options_too()
    {
        using var t = Start("sleep 1000");
        t.Next("sleep", "started");
        var (code, _, err) = t.Ctl("logs", "nosuch");
        Assert.Equal(2, code);
        Assert.Contains("no service is named 'nosuch'; the services are: sleep", err);
        (code, _, err) = t.Ctl("logs", "-n", "many");
        Assert.Equal(2, code);
        Assert.Contains("expected a whole number of lines", err);
        (code, _, err) = t.Ctl("logs", "--since", "yesterday");
        Assert.Equal(2, code);
        Assert.Contains("option '--since' got 'yesterday'", err);
        (code, _, err) = t.Ctl("status", "--watch", "nosuch");
        Assert.Equal(2, code);
        Assert.Contains("no service is named 'nosuch'", err);
    }

    [Fact]
    public void With_the_buffer_off_a_service_writes_straight_to_tends_stdout_and_logs_says_nothing_is_kept()
    {
        using var t = Start("--log-buffer", "0", "sh -c 'echo straight through; exec sleep 1000'");
        t.WaitForStdout("straight through\n");
        // No pipe of Tend's between them: the service's stdout is Tend's own.
        var sleep = t.Find("sleep")!.Value;
        Assert.Equal(new FileInfo($"/proc/{t.Pid}/fd/1").LinkTarget, new FileInfo($"/proc/{sleep}/fd/1").LinkTarget);
        var (code, output, err) = t.Ctl("logs", "sh");
        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.Contains("tend: sh: its output is not kept (--log-buffer 0 or sh=0", err);
    }

    [Fact]
    public void A_one_shot_tasks_output_is_kept_and_log_line_readiness_starts_the_dependent_only_after_the_line()
    {
        using var t = Start([], scenario: "log-ready:" + P("go"));
        t.NextAll(("migrate", "completed"), ("server", "started"));
        var (code, output, _) = t.Ctl("logs", "migrate");
        Assert.Equal(0, code);
        // Two pipes, two relay threads: each stream in its order, the two in either.
        Assert.Equal(["migrated 3 tables", "one warning"], output.Split('\n',
            StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        // The server's readiness waits for its line, which it prints once the file exists: the client waits with it.
        var (_, status, _) = t.Ctl("status", "server");
        Assert.Contains("waiting for log:ready$", status);
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "client" && Str(e, "event") == "started");
        File.WriteAllText(P("go"), "");
        var ready = t.Next("server", "ready");
        var started = t.Next("client", "started");
        Assert.True(t.Events.ToList().IndexOf(ready) < t.Events.ToList().IndexOf(started));
        Assert.Equal("starting up, not ready yet\nlistening: ready\n", t.Ctl("logs", "server").Out);
    }

    [Fact]
    public void A_scheduled_tasks_runs_are_kept_each_with_its_run_number()
    {
        using var t = Start("--schedule", "sh=* * * * * *", "sh -c 'echo task ran; echo task said so >&2'", "sleep 1000");
        Until(() => Json(t.Ctl("logs", "sh", "--json").Out).Select(l => l.GetProperty("run").GetInt32()).Distinct().Count() >= 2,
            "two runs of the task in its log");
        var lines = Json(t.Ctl("logs", "sh", "--json").Out);
        foreach (var run in lines.GroupBy(l => l.GetProperty("run").GetInt32()).Where(g => g.Count() == 2))
            Assert.Equal(["stderr:task said so", "stdout:task ran"],
                run.Select(l =>
                $"{l.GetProperty("stream").GetString()}:{l.GetProperty("text").GetString()}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Follow_goes_on_across_a_restart_and_interleaves_services_in_order_with_their_names()
    {
        using var t = Start($"sh -c 'echo run of a; while :; do if [ -e {P("a")} ]; then rm {P("a")}; echo a says; fi; sleep 0.02; done'",
            $"dash -c 'while :; do if [ -e {P("b")} ]; then rm {P("b")}; echo b says; fi; sleep 0.02; done'");
        t.NextAll(("sh", "started"), ("dash", "started"));
        var all = Follow(t, "logs", "-f");
        all.WaitFor(l => l == "sh | run of a", "the first run's line");
        var one = Follow(t, "logs", "sh", "-f", "--json");
        one.WaitFor(l => l.Contains("\"run of a\""), "the tail before following");

        File.WriteAllText(P("a"), "");
        all.WaitFor(l => l == "sh | a says", "a's line");
        File.WriteAllText(P("b"), "");
        all.WaitFor(l => l == "dash | b says", "b's line");
        File.WriteAllText(P("a"), "");
        Until(() => all.Lines.Count(l => l == "sh | a says") == 2, "a's second line");
        Assert.Equal(["sh | run of a", "sh | a says", "dash | b says", "sh | a says"], all.Lines);

        Assert.Equal(0, t.Ctl("restart", "sh").Code);
        var lines = one.WaitFor(l => l.Contains("\"run\":2"), "the second run's line");
        var runs = Json(string.Join('\n', lines)).Select(l => (l.GetProperty("run").GetInt32(),
            l.GetProperty("text").GetString())).ToList();
        Assert.Equal((1, "run of a"), runs[0]);
        Assert.Contains((2, "run of a"), runs);
        Until(() => all.Lines.Count(x => x == "sh | run of a") == 2, "the restart in the merged stream");
    }

    [Fact]
    public void Since_leaves_out_older_lines()
    {
        using var t = Start($"sh -c 'echo old line; while [ ! -e {P("go")} ]; do sleep 0.02; done; echo new line; exec sleep 1000'");
        t.Next("sh", "started");
        Until(() => t.Ctl("logs", "sh").Out == "old line\n", "the old line");
        var old = DateTimeOffset.Parse(Json(t.Ctl("logs", "sh", "--json").Out)[0].GetProperty("time").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture);
        // --since is about time: the old line must be older than the window (3 s), the new one well inside it.
        Until(() => DateTimeOffset.UtcNow - old > TimeSpan.FromSeconds(4), "the old line to age");
        File.WriteAllText(P("go"), "");
        Until(() => t.Ctl("logs", "sh").Out.Contains("new line"), "the new line");
        Assert.Equal("new line\n", t.Ctl("logs", "sh", "--since", "3s").Out);
        Assert.Equal("old line\nnew line\n", t.Ctl("logs", "sh", "--since", "1h").Out);
    }

    [Fact]
    public void A_flood_keeps_the_ring_bounded_drops_the_oldest_lines_and_says_how_many()
    {
        const int Lines = 2_000_000;
        using var t = Start(["--log-buffer", "seq=16KiB", "--restart", "never", $"seq 1 {Lines}", "sleep 1000"], setup: "exec >/dev/null");
        Until(() => t.Ctl("logs", "seq", "-n", "1").Out == $"{Lines}\n", "the flood's last line in the ring", 120);
        var (code, output, err) = t.Ctl("logs", "seq", "--json");
        Assert.Equal(0, code);
        var kept = Json(output).Select(l => l.GetProperty("text").GetString()!).ToList();
        Assert.Equal(Enumerable.Range(Lines - kept.Count + 1,
            kept.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), kept);
        Assert.True(kept.Sum(k => k.Length + Tend.Logging.LogEntry.Overhead) <= 16 * 1024);
        Assert.True(kept.Count > 16 * 1024 / (7 + Tend.Logging.LogEntry.Overhead) - 2, $"{kept.Count} lines kept");
        Assert.Contains($"tend: seq: {Lines - kept.Count} older lines are no longer kept", err);
        var hwmKiB = long.Parse(File.ReadLines($"/proc/{t.Pid}/status").First(l => l.StartsWith("VmHWM:",
            StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.True(hwmKiB < 48 * 1024, $"tend's peak RSS was {hwmKiB} KiB");
    }

    [Fact]
    public void A_follower_that_never_reads_stalls_nothing_and_is_told_what_it_missed()
    {
        const int Lines = 1_000_000;
        using var t = Start([$"sh -c 'while [ ! -e {P("go")} ]; do sleep 0.02; done; seq 1 {Lines}; exec sleep 1000'", "sleep 1000"],
            setup: "exec >/dev/null");
        t.NextAll(("sh", "started"), ("sleep", "started"));
        using var stuck = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stuck.ReceiveBufferSize = 4096;
        stuck.Connect(new UnixDomainSocketEndPoint(t.SocketPath));
        stuck.Send("logs -f sh\n"u8);
        // The header comes at once; from then on this client takes nothing while the service floods.
        var header = new byte[1];
        Assert.Equal(1, stuck.Receive(header));
        File.WriteAllText(P("go"), "");
        Until(() => t.Ctl("logs", "sh", "-n", "1").Out == $"{Lines}\n", "the flood read to its end", 120);
        Assert.Equal(0, t.Ctl("restart", "sleep").Code); // supervision goes on
        // Now it reads: what it missed is counted.
        var seen = new StringBuilder();
        var buffer = new byte[1 << 16];
        stuck.ReceiveTimeout = 15_000;
        while (!seen.ToString().Contains("{\"dropped\":", StringComparison.Ordinal))
        {
            var n = stuck.Receive(buffer);
            Assert.True(n > 0, "the stream ended before it said what was dropped");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    [Fact]
    public void Status_watch_shows_the_table_again_when_a_service_changes()
    {
        using var t = Start("sleep 1000", "sh -c 'exec sleep 999'");
        t.NextAll(("sleep", "started"), ("sh", "started"));
        var watch = Follow(t, "status", "--watch", "--json");
        watch.WaitFor(l => l.Contains("\"state\":\"running\""), "the first table");
        Assert.Equal(0, t.Ctl("stop", "sh").Code);
        var lines = watch.WaitFor(l => l.Contains("\"name\":\"sh\",\"state\":\"stopped\""), "the table after the stop");
        Assert.True(lines.Count >= 2);
        var text = Follow(t, "status", "--watch");
        text.WaitFor(l => l.StartsWith("sh ", StringComparison.Ordinal) && l.Contains("stopped"), "the text table");
        Assert.Equal(0, t.Ctl("start", "sh").Code);
        Until(() => text.Lines.Any(l => l.StartsWith("sh ", StringComparison.Ordinal) && l.Contains("running")),
            "the text table after the start");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_containers_stdout_is_byte_identical_with_the_buffer_and_without(bool logPrefix)
    {
        string[] prefix = logPrefix ? ["--log-prefix"] : [];
        // Lines of every kind: empty, with CR, long (40 KB), not UTF-8, and a last one without a newline.
        var random = new Random(27);
        var binary = new byte[3000];
        random.NextBytes(binary);
        var content = new List<byte>();
        content.AddRange("first\n\ncarriage\r return\r\n"u8.ToArray());
        content.AddRange(Encoding.UTF8.GetBytes(new string('é', 20_000) + "\n"));
        content.AddRange(binary);
        content.AddRange("\nno newline at the end"u8.ToArray());
        File.WriteAllBytes(P("in"), [.. content]);
        byte[] Relayed(string buffer, string name)
        {
            using var t = Start([.. prefix, "--log-buffer", buffer, "--restart", "never",
                $"sh -c 'cat {P("in")}; printf \"to stderr\\n\" >&2'", "sleep 1000"],
                setup: $"exec >{P(name)}");
            t.Next("sh", "completed");
            var length = 0L;
            // The output is complete once it stops growing after the run completed (the relay wrote what it read).
            Until(() => { var now = new FileInfo(P(name)).Length; var same = now == length && now > 0; length = now; return same; },
                "the output to settle");
            var stderrLine = t.Stderr.Contains(prefix.Length > 0 ? "sh | to stderr\n" : "to stderr\n", StringComparison.Ordinal);
            Assert.True(stderrLine, t.Stderr);
            return File.ReadAllBytes(P(name));
        }
        var with = Relayed("64KiB", "with");
        var without = Relayed("0", "without");
        Assert.Equal(without, with);
        if (prefix.Length == 0) Assert.Equal([.. content], with); // raw: exactly what the service wrote, as when inherited
        else Assert.StartsWith("sh | first\nsh | \nsh | carriage\r return\r\n", Encoding.Latin1.GetString(with));
    }

    [Fact]
    public void The_termination_log_quotes_the_failed_services_own_last_lines_within_4_KB()
    {
        var file = Path.Combine(_dir.FullName, "termination-log");
        File.WriteAllText(file, "");
        var setup = "mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && touch /dev/termination-log && " +
                    $"mount --bind {file} /dev/termination-log";
        using var tend = Start(["--orchestrated", "--no-control",
            "sh -c 'i=0; while [ $i -lt 300 ]; do echo \"noise line $i of many\"; i=$((i+1)); done; echo \"cannot open /etc/app.conf\"; " +
                "echo \"giving up\"; exit 3'"], setup);
        Assert.Equal(3, tend.WaitForExit());
        var message = File.ReadAllText(file);
        Assert.True(Encoding.UTF8.GetByteCount(message) <= 4096, $"{Encoding.UTF8.GetByteCount(message)} bytes");
        Assert.StartsWith("tend: service 'sh' failed: it exited with code 3", message);
        Assert.Contains("The last lines of 'sh':\n", message);
        Assert.EndsWith("noise line 299 of many\ncannot open /etc/app.conf\ngiving up\n", message);
        Assert.DoesNotContain("noise line 0 of many", message);
        Assert.DoesNotContain("tend: sh:", message); // the service's lines, not Tend's
    }
}
