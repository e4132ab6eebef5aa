using System.Diagnostics;
using System.Text.Json;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Notify;

/// <summary>
/// Who may notify for a service, with real senders: short-lived ones (systemd-notify, sender.py) that exit before Tend
/// reads their datagram, a process of another uid that copied the run's mark (prlimit --rttime), datagrams carrying
/// file descriptors (BARRIER=1), and what a service says of its own watchdog (WATCHDOG_USEC=) and status.
/// </summary>
public sealed class NotifySenderTests
{
    private static string Sender => Path.Combine(AppContext.BaseDirectory, "Notify", "sender.py");

    private const string Nobody = "--reuid=65534 --regid=65534 --clear-groups";

    private static bool Has(JsonElement e, string text) => Str(e, "message")?.Contains(text, StringComparison.Ordinal) == true;

    private static JsonElement Service(TendRun t, string name)
    {
        var (code, text, err) = t.Ctl("status", "--json");
        Assert.True(code == 0, err);
        return JsonDocument.Parse(text).RootElement.GetProperty("services").EnumerateArray().Single(s => Str(s, "name") == name);
    }

    private static string NotifySocketOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0').Single(e => e.StartsWith("NOTIFY_SOCKET=",
            StringComparison.Ordinal))["NOTIFY_SOCKET=".Length..];

    /// <summary>The soft RLIMIT_RTTIME of <paramref name="pid"/>: the run's mark, as anyone may read it in /proc/PID/limits.</summary>
    private static string MarkOf(int pid) =>
        File.ReadLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max realtime timeout", StringComparison.Ordinal))
            ["Max realtime timeout".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];

    /// <summary>Runs <paramref name="args"/> with NOTIFY_SOCKET=<paramref name="socket"/>, waits for it (30 s at most).</summary>
    private static void Run(string socket, params string[] args)
    {
        var psi = new ProcessStartInfo(args[0]) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args[1..]) psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = socket;
        using var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000)) { _ = kill(p.Id, Posix.Libc.SIGKILL); Assert.Fail($"{args[0]} did not exit"); }
    }

    /// <summary>READY=1 from a sender that exits at once (python, reaped by the service's shell at once): taken.</summary>
    [Fact]
    public void Ready_from_a_sender_that_exits_at_once_as_root()
    {
        using var t = Start("--ready", "sh=notify", $"sh -c '/usr/bin/python3 {Sender} READY=1 STATUS=up; exec sleep 600'");
        var ready = t.Next("sh", "ready");
        Assert.Contains("ready (notify)", Str(ready, "message"));
        Assert.DoesNotContain(t.Events, e => Has(e, "was refused"));
    }

    /// <summary>systemd-notify --ready as uid 65534 sends its own pid and exits (then BARRIER=1 with a pipe): Tend, its
    /// service and the sender all uid 65534, Tend as PID 1.</summary>
    [Fact]
    public void Systemd_notify_ready_as_another_uid()
    {
        using var t = Start(["--ready", "sh=notify", "sh -c 'systemd-notify --ready; exec sleep 600'"],
            setup: $"unset TEND_CONTROL_SOCKET\nexec setpriv {Nobody} -- \"$0\" \"$@\"", binary: ReachableBinary);
        // systemd-notify's BARRIER=1 carries a pipe: closed and said, not refused.
        t.NextAll(10, e => Str(e, "service") == "sh" && Str(e, "event") == "ready", e => Has(e, "file descriptor") && Has(e, "closed"));
        Assert.DoesNotContain(t.Events, e => Has(e, "was refused"));
    }

    /// <summary>A datagram with a descriptor is taken, and the descriptor closed at once: the sender sees the pipe's end.</summary>
    [Fact]
    public void A_datagram_with_a_descriptor_is_taken_and_the_descriptor_closed()
    {
        using var t = Start("--ready", "sh=notify", $"sh -c '/usr/bin/python3 {Sender} --fd READY=1 BARRIER=1; exec sleep 600'");
        var seen = t.NextAll(10, e => Str(e, "service") == "sh" && Str(e, "event") == "ready", e => Has(e, "file descriptor"),
            e => Str(e, "event") == "notified" && Has(e, "barrier-"));
        Assert.Contains("FDSTORE=1 is not supported", Str(seen[1], "message"));
        Assert.Equal("info", Str(seen[1], "level"));
        Assert.Equal("status: barrier-passed", Str(seen[2], "message"));
    }

    /// <summary>uid 65534 copies a root service's mark (prlimit --rttime=MARK:) and sends READY=1: refused for its uid.</summary>
    [Fact]
    public void A_copied_mark_from_another_uid_is_refused()
    {
        using var t = Start(["--ready", "sleep=notify", "sleep 600"], pid1: false);
        t.Next("sleep", "started");
        var sleep = WaitFor(() => t.Find("sleep"));
        var socket = NotifySocketOf(sleep);
        Run(socket, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "prlimit", $"--rttime={MarkOf(sleep)}:",
            "/usr/bin/python3", Sender, "READY=1");
        var refused = t.Next(e => Str(e, "level") == "error" && Has(e, "(uid 65534)"));
        Assert.Contains("only root or the user", Str(refused, "message"));
        Assert.False(Service(t, "sleep").GetProperty("ready").GetBoolean());
    }

    /// <summary>A MAINPID= naming a process of another uid (one that copied the mark) is refused; the main process stays.</summary>
    [Fact]
    public void MAINPID_of_another_uid_is_refused()
    {
        using var t = Start(["--ready", "sleep=notify", "sleep 600"], pid1: false);
        t.Next("sleep", "started");
        var sleep = WaitFor(() => t.Find("sleep"));
        var mark = MarkOf(sleep);
        var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", "prlimit", $"--rttime={mark}:", "sleep",
            "600" })
            psi.ArgumentList.Add(a);
        using var impostor = Process.Start(psi)!;
        try
        {
            WaitFor(() => File.ReadAllText($"/proc/{impostor.Id}/comm").Trim() == "sleep" && MarkOf(impostor.Id) == mark ? 1 : (int?)null);
            Run(NotifySocketOf(sleep), "prlimit", $"--rttime={mark}:", "/usr/bin/python3", Sender, $"MAINPID={impostor.Id}");
            var refused = t.Next(e => Has(e, $"MAINPID={impostor.Id} refused"));
            Assert.Contains("uid 65534", Str(refused, "message"));
            Assert.Equal(sleep, Service(t, "sleep").GetProperty("pid").GetInt32());
        }
        finally
        {
            _ = kill(impostor.Id, Posix.Libc.SIGKILL);
            impostor.WaitForExit();
        }
    }

    /// <summary>Declared 1h, the service sets WATCHDOG_USEC=500000 and goes quiet: restarted on the new deadline's timetable.</summary>
    [Fact]
    public void A_shorter_WATCHDOG_USEC_is_enforced_on_its_own_timetable()
    {
        using var t = Start("--ready", "sh=notify", "--alive", "sh=watchdog:1h",
            $"sh -c '/usr/bin/python3 {Sender} READY=1 WATCHDOG_USEC=500000; exec sleep 600'");
        t.Next(e => Str(e, "event") == "notified" && Has(e, "watchdog deadline set to 500ms"));
        var unhealthy = t.Next("sh", "unhealthy", 30); // the declared check would come in an hour
        Assert.Contains("deadline 500ms", Str(unhealthy, "message"));
    }

    /// <summary>WATCHDOG_USEC=0 turns the watchdog off for the run: no restart past the declared deadline (300 ms; the service waits 1
    /// s).</summary>
    [Fact]
    public void WATCHDOG_USEC_0_turns_the_watchdog_off()
    {
        using var t = Start("--ready", "sh=notify", "--alive", "sh=watchdog:300ms",
            $"sh -c '/usr/bin/python3 {Sender} READY=1 WATCHDOG_USEC=0; sleep 1; /usr/bin/python3 {Sender} STATUS=still; exec sleep 600'");
        t.Next(e => Str(e, "event") == "notified" && Has(e, "watchdog off for this run (WATCHDOG_USEC=0)"));
        t.Next(e => Str(e, "event") == "notified" && Has(e, "status: still"));
        Assert.DoesNotContain(t.Events, e => Str(e, "event") is "unhealthy" or "exited");
        Assert.DoesNotContain(t.Events, e => Has(e, "does not take"));
    }

    /// <summary>An empty STATUS= clears the status: said as such, not as an empty "status:".</summary>
    [Fact]
    public void An_empty_STATUS_clears_it()
    {
        using var t = Start("--ready", "sh=notify",
            $"sh -c '/usr/bin/python3 {Sender} STATUS=busy; /usr/bin/python3 {Sender} STATUS= READY=1; exec sleep 600'");
        t.NextAll(10, e => Str(e, "service") == "sh" && Str(e, "event") == "ready",
            e => Str(e, "event") == "notified" && Has(e, "status cleared (empty STATUS=)"));
        Assert.DoesNotContain(t.Events, e => Str(e, "message") == "status: ");
        Assert.Equal(JsonValueKind.Null, Service(t, "sh").TryGetProperty("notifyStatus", out var s) ? s.ValueKind : JsonValueKind.Null);
    }

    private static int WaitFor(Func<int?> find)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (find() is { } pid) return pid;
            Thread.Sleep(10);
        }
        throw new TimeoutException("the process did not appear");
    }
}
