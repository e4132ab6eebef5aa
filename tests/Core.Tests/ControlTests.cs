using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tend.Testing;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>The control socket and the client verbs, against real supervisors in PID namespaces.</summary>
public class ControlTests
{
    private static JsonElement StatusJson(TendRun t, string? service = null)
    {
        var (code, output, err) = service is null ? t.Ctl("status", "--json") : t.Ctl("status", service, "--json");
        Assert.True(code == 0, $"status failed ({code}): {err}");
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
        return doc.RootElement.GetProperty("services").Clone();
    }

    private static JsonElement Service(JsonElement services,
        string name) => services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static void Until(Func<bool> condition, string what, double seconds = 10)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException(what);
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// The connections to Tend's control socket that are open now, from /proc/PID/net/unix (proc(5)): a connection
    /// Tend accepted (or has yet to accept) carries the socket's path, in state 03 (connected); the listener is in 01.
    /// </summary>
    private static int Connections(TendRun t) => File.ReadLines($"/proc/{t.Pid}/net/unix").Skip(1)
        .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Count(f => f.Length >= 8 && f[5] == "03" && f[7] == t.SocketPath);

    [Fact]
    public void Status_shows_every_service_as_a_table_and_as_json()
    {
        using var t = Start("sleep 1000", "sh -c 'exec sleep 999'");
        t.NextAll(("sleep", "started"), ("sh", "started"));

        var (code, table, _) = t.Ctl("status");
        Assert.Equal(0, code);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("sleep ") && l.Contains(" running "));
        Assert.Contains(lines, l => l.StartsWith("sh ") && l.Contains(" running "));

        var services = StatusJson(t);
        Assert.Equal(2, services.GetArrayLength());
        var sleep = Service(services, "sleep");
        Assert.Equal("running", sleep.GetProperty("state").GetString());
        Assert.True(sleep.GetProperty("pid").GetInt32() > 1);
        Assert.Equal(0, sleep.GetProperty("restarts").GetInt32());
        Assert.True(sleep.GetProperty("uptimeMs").GetInt64() >= 0);
        Assert.Single(StatusJson(t, "sh").EnumerateArray());

        var mode = File.GetUnixFileMode(t.SocketPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void A_stopped_service_stays_stopped_until_started()
    {
        using var t = Start("sleep 1000", "sleep 2000");
        t.NextAll(("sleep", "started"), ("sleep-2", "started"));
        Assert.Equal(0, t.Ctl("health").Code);

        var (code, output, err) = t.Ctl("stop", "sleep");
        Assert.True(code == 0, err);
        Assert.Contains("sleep: stopped", output);
        t.Next("sleep", "stopped");
        // A crash would be undone in the round after the stop: each request is decided on the supervisor's thread
        // between rounds, so once two have been answered that round is past (a bounded wait, not a sleep).
        for (var i = 0; i < 2; i++) Assert.Equal(0, t.Ctl("status").Code);
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "sleep" && Str(e, "event") == "started" && Int(e, "restarts") > 0);
        Assert.Single(t.All("sleep")); // sleep-2's process
        Assert.Equal("stopped", Service(StatusJson(t), "sleep").GetProperty("state").GetString());

        var health = t.Ctl("health");
        Assert.Equal(1, health.Code);
        Assert.Contains("sleep is stopped", health.Out);
        Assert.Equal(0, t.Ctl("stop", "sleep").Code); // already stopped: nothing to do, no error

        (code, output, err) = t.Ctl("start", "sleep");
        Assert.True(code == 0, err);
        Assert.Contains("sleep: running", output);
        Assert.Equal(1, Int(t.Next("sleep", "started"), "restarts"));
        Assert.Equal(2, t.All("sleep").Count);
        Assert.Equal(0, t.Ctl("health").Code);

        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Restart_replaces_the_process_and_counts_it()
    {
        using var t = Start("sleep 1000");
        t.Next("sleep", "started");
        var before = Service(StatusJson(t), "sleep").GetProperty("pid").GetInt32();
        var (code, _, err) = t.Ctl("restart", "sleep");
        Assert.True(code == 0, err);
        var after = Service(StatusJson(t), "sleep");
        Assert.NotEqual(before, after.GetProperty("pid").GetInt32());
        Assert.Equal(1, after.GetProperty("restarts").GetInt32());
        Assert.Equal("SIGTERM", after.GetProperty("lastSignal").GetString());
    }

    [Fact]
    public void Signal_reaches_the_service_and_bad_requests_say_what_is_wrong()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var marker = Path.Combine(dir.FullName, "hup");
            var armed = Path.Combine(dir.FullName, "armed");
            using var t = Start($"sh -c 'trap \"echo hup > {marker}\" HUP; : > {armed}; while :; do sleep 0.05; done'", "sleep 1000");
            t.NextAll(("sh", "started"), ("sleep", "started"));
            Until(() => File.Exists(armed), "sh never set its HUP trap"); // a HUP before the trap would end sh
            var (code, output, err) = t.Ctl("signal", "sh", "HUP");
            Assert.True(code == 0, err);
            Assert.Contains("sent SIGHUP", output);
            Until(() => File.Exists(marker), "the HUP trap did not run");

            var unknown = t.Ctl("stop", "nope");
            Assert.Equal(2, unknown.Code);
            Assert.Contains("no service is named 'nope'; the services are: sh, sleep", unknown.Err);
            var badSignal = t.Ctl("signal", "sh", "SIGNOPE");
            Assert.Equal(2, badSignal.Code);
            Assert.Contains("'SIGNOPE' is not a signal", badSignal.Err);
            var usage = t.Ctl("stop");
            Assert.Equal(2, usage.Code);
            Assert.Contains("usage: tend stop NAME", usage.Err);

            Assert.Equal(0, t.Ctl("stop", "sleep").Code);
            var notRunning = t.Ctl("signal", "sleep", "TERM");
            Assert.Equal(1, notRunning.Code);
            Assert.Contains("'sleep' is not running (it is stopped)", notRunning.Err);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public async Task Wait_returns_once_the_file_or_command_check_passes()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var flag = Path.Combine(dir.FullName, "flag");
            var flag2 = Path.Combine(dir.FullName, "flag2");
            using var t = Start("sleep 1000", "sleep 2000", "--ready", $"sleep=file:{flag}", "--ready", $"sleep-2=cmd:test -e {flag2}");
            t.Next("sleep", "started");
            Assert.Equal("starting", Service(StatusJson(t), "sleep").GetProperty("state").GetString());

            var early = t.Ctl("wait", "sleep", "--timeout", "300ms");
            Assert.Equal(1, early.Code);
            Assert.Contains("timed out: 'sleep' is starting", early.Err);

            var waiting = Task.Run(() => t.Ctl("wait", "sleep", "--timeout", "30s"));
            var waiting2 = Task.Run(() => t.Ctl("wait", "sleep-2", "--timeout", "30s"));
            // Both requests are in Tend's hands (two connections on its socket), and neither is answered while the checks fail.
            Until(() => Connections(t) >= 2, "the two waits never connected");
            Assert.False(waiting.IsCompleted);
            Assert.False(waiting2.IsCompleted);
            File.WriteAllText(flag, "");
            File.WriteAllText(flag2, "");
            var done = await waiting;
            Assert.True(done.Code == 0, done.Err);
            Assert.Contains($"ready (file:{flag})", done.Out);
            var done2 = await waiting2;
            Assert.True(done2.Code == 0, done2.Err);
            t.NextAll(("sleep", "ready"), ("sleep-2", "ready")); // the two checks pass in either order
            Assert.Equal(0, t.Ctl("health").Code);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public async Task A_stop_while_a_start_is_in_progress_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            using var t = Start("sleep 1000", "--ready", $"sleep=file:{Path.Combine(dir.FullName, "never")}");
            t.Next("sleep", "started");
            Assert.Equal(0, t.Ctl("stop", "sleep").Code);
            // The stop below must come while the start still waits: a timeout with room for a loaded machine.
            var start = Task.Run(() => t.Ctl("start", "sleep", "--timeout", "5s"));
            t.Next("sleep", "start-requested");
            var stop = t.Ctl("stop", "sleep");
            Assert.Equal(1, stop.Code);
            Assert.Contains("'sleep' is being started by another request", stop.Err);
            var started = await start;
            Assert.Equal(1, started.Code);
            Assert.Contains("timed out: 'sleep' is starting", started.Err);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_dependent_starts_only_once_its_dependency_accepts_connections()
    {
        var port = Loopback.FreePort();
        using var t = Start([], scenario: $"ready:{port}");
        var serverStarted = t.Next("server", "started");
        var ready = t.Next("server", "ready");
        var clientStarted = t.Next("client", "started");
        Assert.True(t.Events.ToList().IndexOf(ready) < t.Events.ToList().IndexOf(clientStarted),
            "the client started before the server was ready");
        var waited = DateTime.Parse(Str(ready, "time")!) - DateTime.Parse(Str(serverStarted, "time")!);
        Assert.True(waited >= TimeSpan.FromMilliseconds(400),
            $"ready after {waited.TotalMilliseconds} ms, but the server listens only after 500 ms");
        using (var c = new TcpClient()) c.Connect(System.Net.IPAddress.Loopback, port); // it does accept

        // health follows every service, the critical server and the other one alike.
        Assert.Equal(0, t.Ctl("health").Code);
        Assert.Equal(0, t.Ctl("stop", "client").Code);
        Assert.Equal("unhealthy: client is stopped\n", t.Ctl("health").Out);
        var blocked = t.Ctl("stop", "server");
        Assert.Equal(0, blocked.Code);
        var health = t.Ctl("health");
        Assert.Equal(1, health.Code);
        Assert.Equal("unhealthy: server is stopped, client is stopped\n", health.Out);
        var start = t.Ctl("start", "client");
        Assert.Equal(1, start.Code);
        Assert.Contains("'client' depends on 'server' (stopped): start it first", start.Err);
        Assert.Equal(0, t.Ctl("start", "server").Code);
        Assert.Equal(0, t.Ctl("start", "client").Code);
        Assert.Equal(0, t.Ctl("health").Code);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Json_events_carry_time_service_event_pid_exit_restarts_and_delay()
    {
        using var t = Start("sleep 1000");
        t.Next("sleep", "started");
        var host = t.Find("sleep")!.Value;
        kill(host, Libc.SIGKILL);
        var exited = t.Next("sleep", "exited");
        var started = t.Next("sleep", "started");
        Assert.Equal(0, t.Ctl("stop", "sleep").Code);
        t.Next("sleep", "stopped");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());

        // Every line Tend wrote is one JSON object (parsed, not grepped), with the fields a log shipper needs.
        var lines = t.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 6);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            Assert.Equal(JsonValueKind.Object, e.ValueKind);
            Assert.True(DateTime.TryParse(e.GetProperty("time").GetString(), out _), line);
            Assert.Contains(e.GetProperty("level").GetString(), new[] { "info", "error" });
            Assert.False(string.IsNullOrEmpty(e.GetProperty("event").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("message").GetString()));
        }
        Assert.Equal("SIGKILL", Str(exited, "signal"));
        Assert.True(Int(exited, "pid") > 1);
        Assert.Equal(0, Int(exited, "restarts"));
        Assert.Equal(0, Int(exited, "delayMs"));
        Assert.Equal(1, Int(started, "restarts"));
        Assert.NotEqual(Int(exited, "pid"), Int(started, "pid"));
        var stopped = t.Events.Last(e => Str(e, "service") == "sleep" && Str(e, "event") == "stopped");
        Assert.Equal("SIGTERM", Str(stopped, "signal"));
    }

    [Fact]
    public void A_client_that_is_not_root_is_refused_by_file_mode_and_by_peer_credentials()
    {
        using var t = Start("sleep 1000");
        t.Next("sleep", "started");
        string[] nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

        var byMode = Client(t.SocketPath, ["status"], nobody);
        Assert.Equal(1, byMode.Code);
        Assert.Contains("permission denied", byMode.Err);

        // Open the file modes: the peer's credentials must still refuse it.
        File.SetUnixFileMode(Path.GetDirectoryName(t.SocketPath)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(t.SocketPath, (UnixFileMode)0b110_110_110);
        var byCredentials = Client(t.SocketPath, ["stop", "sleep"], nobody);
        Assert.Equal(1, byCredentials.Code);
        Assert.Contains("the control socket serves root only (this client runs as uid 65534)", byCredentials.Err);
        Assert.Equal("running", Service(StatusJson(t), "sleep").GetProperty("state").GetString());
    }

    [Fact]
    public void Garbage_and_half_open_connections_never_disturb_supervision()
    {
        using var t = Start("sleep 1000", "sleep 2000");
        t.NextAll(("sleep", "started"), ("sleep-2", "started"));
        var pids = StatusJson(t).EnumerateArray().Select(s => s.GetProperty("pid").GetInt32()).ToArray();
        var eventsBefore = t.Events.Count;

        string Send(byte[] bytes, bool shutdown = true)
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10000 };
            s.Connect(new UnixDomainSocketEndPoint(t.SocketPath));
            try
            {
                s.Send(bytes);
                if (shutdown) s.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException) { } // the server may close first on an oversized request
            return Encoding.UTF8.GetString(ReadAll(s));
        }
        static byte[] ReadAll(Socket s)
        {
            var reply = new MemoryStream();
            var buf = new byte[4096];
            try
            {
                int n;
                while ((n = s.Receive(buf)) > 0) reply.Write(buf, 0, n);
            }
            catch (SocketException) when (reply.Length > 0) { } // the server closed with our unread bytes: a reset after its reply
            return reply.ToArray();
        }
        JsonElement Error(string reply)
        {
            using var doc = JsonDocument.Parse(reply);
            var e = doc.RootElement.Clone();
            Assert.False(e.GetProperty("ok").GetBoolean(), reply);
            Assert.Contains(e.GetProperty("code").GetInt32(), new[] { 1, 2 });
            return e;
        }

        // Half-open: connections that send nothing hold their threads for the read timeout, no more.
        var idle = Enumerable.Range(0, 20).Select(_ =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(t.SocketPath));
            return s;
        }).ToList();

        var random = new Random(20261126);
        for (var i = 0; i < 150; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            Error(Send(bytes));
        }
        foreach (var s in idle)
        {
            s.ReceiveTimeout = 10000;
            Error(Encoding.UTF8.GetString(ReadAll(s))); // each gets an answer: busy, or incomplete after the read timeout
            s.Dispose();
        }

        Assert.Contains("request too long", Error(Send(Enumerable.Repeat((byte)'a', 5000).ToArray())).GetProperty("error").GetString());
        Assert.Contains("truncated request", Error(Send("stat"u8.ToArray())).GetProperty("error").GetString());
        Assert.Contains("unknown verb 'reboot'", Error(Send("reboot now\n"u8.ToArray())).GetProperty("error").GetString());
        Assert.Contains("malformed request", Error(Send("stop \u0001sleep\n"u8.ToArray())).GetProperty("error").GetString());
        Assert.Contains("takes 1 to 2 arguments", Error(Send("stop a b c\n"u8.ToArray())).GetProperty("error").GetString());

        var after = StatusJson(t);
        Assert.Equal(pids, after.EnumerateArray().Select(s => s.GetProperty("pid").GetInt32()).ToArray());
        Assert.All(after.EnumerateArray(), s => Assert.Equal(0, s.GetProperty("restarts").GetInt32()));
        Assert.Equal(eventsBefore, t.Events.Count); // no exit, no restart, not even an error line
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Without_a_usable_socket_Tend_says_so_and_supervises_anyway()
    {
        using var t = Start("sleep 1000", "--control-socket", "/proc/tend-cannot-be-here/control.sock");
        // The error and the start, in whichever order Tend gets to them.
        var error = t.NextAll(10, e => Str(e, "level") == "error", e => Str(e, "service") == "sleep" && Str(e, "event") == "started")[0];
        Assert.Contains("control socket disabled: cannot create the directory /proc/tend-cannot-be-here", Str(error, "message"));
        var client = Client("/proc/tend-cannot-be-here/control.sock", ["status"]);
        Assert.Equal(1, client.Code);
        Assert.Contains("no control socket at /proc/tend-cannot-be-here/control.sock", client.Err);
    }
}
