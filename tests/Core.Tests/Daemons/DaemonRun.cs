using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Daemons;

/// <summary>
/// Tend as PID 1 of a fresh PID+mount+net namespace (daemon-ns.sh first: loopback up, private /run, /tmp, logs and
/// data), supervising one or more command lines; the test stays outside and reaches the namespace with nsenter.
/// </summary>
internal sealed class DaemonRun : IDisposable
{
    public TendRun T { get; }
    private readonly ITestOutputHelper _out;
    private readonly Stopwatch _since = Stopwatch.StartNew();

    private DaemonRun(TendRun t, ITestOutputHelper output) { T = t; _out = output; }

    public static DaemonRun Start(ITestOutputHelper output, params string[] tendArgs) =>
        new(TendRun.Start(tendArgs, setup: $". {Daemon.NamespaceScript}", net: true), output);

    /// <summary>
    /// Like <see cref="Start(ITestOutputHelper, string[])"/>, with <paramref name="setup"/> run in the namespace after
    /// daemon-ns.sh (what an image would have built: /run/sshd…), and Tend's lineage trace written to
    /// <paramref name="trace"/> when given (outside /tmp, which the namespace hides).
    /// </summary>
    public static DaemonRun StartWith(ITestOutputHelper output, string setup, string? trace, params string[] tendArgs) =>
        new(TendRun.Start(tendArgs,
            setup: $". {Daemon.NamespaceScript}\n{setup}" + (trace is null ? "" : $"\nexport TEND_LINEAGE_TRACE={trace}"), net: true),
            output);

    public void Log(string line) => _out.WriteLine($"[{_since.Elapsed.TotalSeconds,7:F3}s] {line}");

    /// <summary>Waits (bounded) until <paramref name="d"/> answers; returns how long that took from Tend's start.</summary>
    public TimeSpan WaitAnswers(Daemon d, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (!d.Answers(T.Pid))
        {
            if (sw.Elapsed.TotalSeconds > seconds || T.HasExited)
                Assert.Fail($"{d} never answered under Tend ({sw.Elapsed.TotalSeconds:F1} s; tend " +
                    $"exited: {T.HasExited})\n{Tree()}\n{T.Stderr}");
            Thread.Sleep(20);
        }
        Log($"{d} answers {sw.Elapsed.TotalMilliseconds:F0} ms after Tend started");
        return sw.Elapsed;
    }

    /// <summary>Every live process in the namespace but Tend itself (host pids).</summary>
    public List<ProcInfo> Processes() => Proc.Descendants(T.Pid);

    public string Tree() => $"process tree under tend (host pid {T.Pid}):\n{Proc.Tree(T.Pid)}";

    /// <summary>The live processes running <paramref name="d"/>'s server executable.</summary>
    public List<ProcInfo> Servers(Daemon d) => Processes().Where(p => p.Exe == d.ServerExe).ToList();

    /// <summary>`tend status --json`, every service.</summary>
    public List<JsonElement> Status()
    {
        if (T.HasExited) Assert.Fail($"tend has exited (code {T.WaitForExit()})\n{T.Stderr}");
        var (code, output, err) = T.Ctl("status", "--json");
        if (code != 0 && T.HasExited) Assert.Fail($"tend has exited (code {T.WaitForExit()})\n{T.Stderr}");
        Assert.True(code == 0, $"tend status failed ({code}): {err}");
        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.GetProperty("services").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>
    /// The single service's (or the named one's) state and main process, mapped to a host process through
    /// /proc/PID/status NSpid (Tend reports pids as seen from its namespace).
    /// </summary>
    public (string State, ProcInfo? Main, int? NsPid) Main(string? service = null)
    {
        var services = Status();
        var s = service is null ? services.Single() : services.Single(e => e.GetProperty("name").GetString() == service);
        var state = s.GetProperty("state").GetString() ?? "";
        int? nsPid = s.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        var main = nsPid is null ? null : Processes().FirstOrDefault(q => q.NsPid == nsPid);
        return (state, main, nsPid);
    }

    /// <summary>
    /// Asserts the service runs with a live main process that is the daemon (one of its names), not its launcher —
    /// within 10 s: a launcher that waits in the daemon's session (Debian's mariadb script pinging the server) hands
    /// over when it exits, a little after the daemon first answers.
    /// </summary>
    public ProcInfo RunningMain(Daemon d, string? service = null)
    {
        (string State, ProcInfo? Main, int? NsPid) m = default;
        Proc.Until(() => (m = Main(service)) is { State: "running", Main: { } p } && d.IsDaemon(p), TimeSpan.FromSeconds(10), everyMs: 50);
        var (state, main, nsPid) = m;
        Assert.True(state == "running" && main is not null && d.IsDaemon(main),
            $"{d}: tend status says state '{state}', main pid {nsPid?.ToString() ?? "none"} ({main?.ToString() ?? "not a live process"}); "
                +
            $"expected running with a main process that is {d.MainNames}\n{Tree()}\n{T.Stderr}");
        return main!;
    }

    /// <summary>A timeout for a daemon to be back that only catches a hang: how fast it is back is the benchmark's
    /// figure (bench/, DaemonBench), not a bound a loaded machine could break.</summary>
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Polls every 10 ms (timeout: <see cref="Hang"/>) until "a new one answers": none of the <paramref name="old"/>
    /// server processes is left (an orphaned apache worker would still answer on the old socket), a server process that
    /// was not there before runs, and the daemon answers. Returns when, from <paramref name="since"/>.
    /// </summary>
    public TimeSpan WaitNewAnswers(Daemon d, IReadOnlyCollection<ProcInfo> old, Stopwatch since)
    {
        var limit = Hang;
        var oldPids = old.Select(p => p.Pid).ToHashSet();
        while (true)
        {
            var servers = Servers(d);
            if (!old.Any(Proc.Alive) && servers.Any(p => !oldPids.Contains(p.Pid)) && d.Answers(T.Pid)) return since.Elapsed;
            if (since.Elapsed > limit || T.HasExited)
                Assert.Fail($"{d}: no new {d.Server} answered within {limit.TotalSeconds:F2} s (a timeout for a hang; " +
                            $"old server processes still alive: {string.Join(", ", old.Where(Proc.Alive).Select(p => p.Pid))}; " +
                                $"new: {string.Join(", ", servers.Where(p => !oldPids.Contains(p.Pid)).Select(p => p.Pid))}; " +
                            $"tend exited: {T.HasExited})\n{Tree()}\n{T.Stderr}");
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// Prints how long <paramref name="d"/> took to be back beside its plain-shell start time: figures to read, not a bound
    /// (on a shared machine a bound fails for the machine's load, not for Tend; DaemonBench measures the restart).
    /// </summary>
    public void LogBack(Daemon d, TimeSpan elapsed, string what) =>
        Log($"{d}: {what}: back after {elapsed.TotalMilliseconds:F0} ms; plain-shell start time {d.StartTime.TotalMilliseconds:F0} ms; " +
            $"1 s + start time {d.Bound.TotalMilliseconds:F0} ms");

    /// <summary>No service failed, no restart loop: Tend runs, and every service is running.</summary>
    public void AssertNothingFailed()
    {
        Assert.False(T.HasExited, $"tend exited ({(T.HasExited ? T.WaitForExit() : 0)})\n{T.Stderr}");
        var failed = T.Events.Where(e => Str(e, "event") == "failed").ToList();
        Assert.True(failed.Count == 0, $"services failed: {string.Join('\n', failed)}\n{Tree()}");
    }

    /// <summary>
    /// Waits until the namespace's process set has not changed for <paramref name="quietMs"/> ms: launchers and their
    /// helpers are gone (longer than the one-second `sleep 1` loops of the apache2 and mariadb scripts).
    /// </summary>
    public void WaitSettled(int quietMs = 1200, double seconds = 6)
    {
        var sw = Stopwatch.StartNew();
        var last = "";
        var stableSince = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            var now = string.Join(',', Processes().Select(p => p.Pid).Order());
            if (now != last) { last = now; stableSince.Restart(); }
            else if (stableSince.ElapsedMilliseconds >= quietMs) return;
            Thread.Sleep(20);
        }
        Log($"the process set did not settle within {seconds} s\n{Tree()}");
    }

    public void Dispose()
    {
        Log("events:\n" + string.Join('\n', T.Events.Select(e => "  " + e.GetRawText())));
        T.Dispose();
    }
}
