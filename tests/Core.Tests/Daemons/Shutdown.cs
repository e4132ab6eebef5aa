using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Daemons;

/// <summary>SIGTERM to Tend, with the kernel's own record of every signal: what each process of the namespace got.</summary>
internal static class Shutdown
{
    public const int StopTimeoutSeconds = 5; // Tend's default --stop-timeout for command-line services

    /// <summary>docker stop's default grace period (s): a container's PID 1 still running then is SIGKILLed by the engine.</summary>
    public const int GraceSeconds = 10;

    /// <summary>
    /// Sends SIGTERM to Tend (PID 1) while <paramref name="trace"/> records, and asserts: Tend exits 0 within the
    /// engine's grace period (the external contract; its own stop timeout is checked by the absence of SIGKILL); every process in
    /// <paramref name="members"/> (the namespace's processes just before) that had not exited on
    /// its own before the SIGTERM to Tend was sent SIGTERM;
    /// none of them, nor anything they forked meanwhile, was sent SIGKILL (by Tend after a timeout, or by the kernel
    /// when PID 1 exits and the namespace is torn down); Tend logged no `killed`. Not vacuous: the trace must show the
    /// test's own SIGTERM to Tend, and <paramref name="members"/> must hold the daemon.
    /// </summary>
    public static void AssertEveryProcessGotSigtermAndNoneSigkill(DaemonRun r, SignalTrace trace, List<ProcInfo> members, string what)
    {
        Assert.NotEmpty(members);
        r.Log($"{what}: SIGTERM to tend; processes now:\n{string.Join('\n', members.Select(m => "  " + m))}");
        // Tend's threads: a signal "sent" by one of them after its exit began is the kernel's SIGKILL at namespace teardown.
        var tendThreads = Directory.GetDirectories($"/proc/{r.T.Pid}/task").Select(d => int.Parse(Path.GetFileName(d))).ToHashSet();
        string From(SignalTrace.Signal s) => $"{s.SenderComm}-{s.Sender}{(tendThreads.Contains(s.Sender) ? " (a thread of tend)" : "")}";
        var sw = Stopwatch.StartNew();
        r.T.Signal(Libc.SIGTERM);
        int code;
        try { code = r.T.WaitForExit(StopTimeoutSeconds * 2 + 10); }
        catch (TimeoutException) { trace.Stop(); throw; }
        var elapsed = sw.Elapsed;
        trace.Stop();

        var signals = trace.Signals;
        Assert.True(signals.Any(s => s.Sig == 15 && s.Target == r.T.Pid),
            "the trace does not show the test's own SIGTERM to tend: the tracer saw nothing, the check would be vacuous");
        var family = trace.WithForks(members.Select(m => m.Pid));
        var termed = signals.Where(s => s.Sig == 15).Select(s => s.Target).ToHashSet();
        var report = string.Join('\n', members.Select(m =>
        {
            var got = signals.Where(s => s.Target == m.Pid
                && s.Sig is 15 or 9).Select(s => $"{(s.Sig == 15 ? "SIGTERM" : "SIGKILL")} from {From(s)}");
            return $"  {m}: {string.Join(", ", got.DefaultIfEmpty("no SIGTERM/SIGKILL"))}";
        }));
        var killed = signals.Where(s => s.Sig == 9 && family.Contains(s.Target)).ToList();
        r.Log($"{what}: tend exited {code} after {elapsed.TotalMilliseconds:F0} ms; signals:\n{report}" +
              (killed.Count > 0 ? "\n  SIGKILLs: " + string.Join("; ",
                  killed.Select(k => $"{k.TargetComm}-{k.Target} from {From(k)}")) : ""));

        var gone = trace.ExitedBeforeSigtermTo(r.T.Pid);
        var notTermed = members.Where(m => !termed.Contains(m.Pid) && !gone.Contains(m.Pid)).ToList();
        Assert.True(notTermed.Count == 0 && killed.Count == 0,
            $"{what}: every process must get SIGTERM and none SIGKILL.\n{report}\n" +
            $"SIGKILLed (incl. forked " +
                $"later): {string.Join("; ", killed.Select(k => $"{k.TargetComm}-{k.Target} from {From(k)}"))}\n{r.T.Stderr}");
        Assert.Equal(0, code);
        Assert.DoesNotContain(r.T.Events, e => Str(e, "event") == "killed");
        // Kept as a bound: it is the container engine's contract (docker stop -t 10 SIGKILLs a PID 1 still running then). That
        // Tend's own stop timeout passed without a SIGKILL is asserted above, not timed.
        Assert.True(elapsed <= TimeSpan.FromSeconds(GraceSeconds),
            $"{what}: tend exited after {elapsed.TotalMilliseconds:F0} ms, past docker stop's grace period ({GraceSeconds} s)");
    }
}
