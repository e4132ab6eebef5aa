using System.Diagnostics;
using System.Text.RegularExpressions;
using Tend.Posix;

namespace Tend.Tests.Daemons;

/// <summary>
/// Records, machine-wide, every signal generated (the kernel's signal:signal_generate tracepoint, SIGCHLD left out) and
/// every fork (sched:sched_process_fork), in a private tracefs instance of its own (so other tracers are untouched),
/// through a helper `unshare --mount bash` that mounts tracefs privately when the host has not. It records what the
/// kernel did: a SIGKILL at namespace teardown (zap_pid_ns_processes) shows as signal_generate sig=9 sent by the
/// exiting PID 1, a SIGKILL from Tend as one sent by Tend. Pids are host pids (task pids in the initial namespace).
/// </summary>
internal sealed partial class SignalTrace : IDisposable
{
    internal sealed record Signal(int Sig, int Target, string TargetComm, int Sender, string SenderComm);
    internal sealed record Fork(int Parent, int Child, string ChildComm);

    private readonly Process _helper;
    private readonly List<string> _lines = [];
    private readonly string _instance = "tend-test-" + Guid.NewGuid().ToString("N")[..10];
    private bool _stopped;

    private const string Script = """
        set -euo pipefail
        T=/sys/kernel/tracing
        [ -e $T/instances ] || mount -t tracefs nodev $T
        I=$T/instances/$1
        mkdir $I
        cleanup() { echo 0 >$I/tracing_on || true; [ -n "${reader:-}" ] && kill $reader 2>/dev/null; wait 2>/dev/null; rmdir $I || true; }
        trap cleanup EXIT
        trap 'exit 0' TERM INT
        echo 8192 >$I/buffer_size_kb
        echo 'sig != 17' >$I/events/signal/signal_generate/filter
        echo 1 >$I/events/signal/signal_generate/enable
        echo 1 >$I/events/sched/sched_process_fork/enable
        echo 1 >$I/events/sched/sched_process_exit/enable
        cat $I/trace_pipe & reader=$!
        echo READY >&2
        wait $reader
        """;

    private SignalTrace()
    {
        var psi = new ProcessStartInfo("unshare", ["--mount", "bash", "-c", Script, "trace", _instance])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        _helper = Process.Start(psi)!;
        _helper.StandardInput.Close();
        _helper.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
        _helper.BeginOutputReadLine();
        var ready = _helper.StandardError.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(10)) || ready.Result != "READY")
        {
            Proc.KillTree(_helper.Id);
            throw new InvalidOperationException($"the signal tracer did not " +
                $"start: {ready.Result} {(_helper.HasExited ? _helper.StandardError.ReadToEnd() : "")}");
        }
    }

    public static SignalTrace Start() => new();

    private string Dir => $"/proc/{_helper.Id}/root/sys/kernel/tracing/instances/{_instance}";

    /// <summary>
    /// Writes a marker into the trace and waits until it is read back: trace_pipe merges the per-cpu buffers in time
    /// order, so every event before the marker has been read too. Then ends the helper.
    /// </summary>
    public void Stop()
    {
        if (_stopped) return;
        _stopped = true;
        var marker = "tend-test-end-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(Path.Combine(Dir, "trace_marker"), marker);
        lock (_lines)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!_lines.Any(l => l.Contains(marker)))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new TimeoutException("the trace marker never came back: events may be missing");
                Monitor.Wait(_lines, left);
            }
        }
        Proc.kill(_helper.Id, Libc.SIGTERM);
        if (!_helper.WaitForExit(10_000)) Proc.KillTree(_helper.Id);
    }

    // "  comm-123  [001] d..2.  12.345678: signal_generate: sig=15 errno=0 code=0 comm=sleep pid=456 grp=1 res=0"
    [GeneratedRegex(@"^\s*(?<scomm>.+?)-(?<spid>\d+)\s+\[\d+\].*?signal_generate: sig=(?<sig>\d+) .*?comm=(?<comm>.*?) pid=(?<pid>\d+) ")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"sched_process_fork: comm=.*? pid=(?<pid>\d+) child_comm=(?<comm>.*?) child_pid=(?<child>\d+)")]
    private static partial Regex ForkLine();

    public List<Signal> Signals
    {
        get
        {
            lock (_lines)
                return _lines.Select(l => SignalLine().Match(l)).Where(m => m.Success).Select(m => new Signal(
                    int.Parse(m.Groups["sig"].Value), int.Parse(m.Groups["pid"].Value), m.Groups["comm"].Value,
                    int.Parse(m.Groups["spid"].Value), m.Groups["scomm"].Value)).ToList();
        }
    }

    [GeneratedRegex(@"sched_process_exit: comm=.*? pid=(?<pid>\d+) ")]
    private static partial Regex ExitLine();

    /// <summary>
    /// Tasks that exited on their own before the first SIGTERM to <paramref name="tend"/> (pg_ctl returning while
    /// pg_ctlcluster still waits): nothing could have been sent to them by then.
    /// </summary>
    public HashSet<int> ExitedBeforeSigtermTo(int tend)
    {
        var set = new HashSet<int>();
        lock (_lines)
            foreach (var l in _lines)
            {
                if (SignalLine().Match(l) is { Success: true } sig && sig.Groups["sig"].Value == "15"
                    && int.Parse(sig.Groups["pid"].Value) == tend) break;
                if (ExitLine().Match(l) is { Success: true } exit) set.Add(int.Parse(exit.Groups["pid"].Value));
            }
        return set;
    }

    public List<Fork> Forks
    {
        get
        {
            lock (_lines)
                return _lines.Select(l => ForkLine().Match(l)).Where(m => m.Success).Select(m => new Fork(
                    int.Parse(m.Groups["pid"].Value), int.Parse(m.Groups["child"].Value), m.Groups["comm"].Value)).ToList();
        }
    }

    /// <summary><paramref name="roots"/> and every task forked from them (transitively) while the trace ran.</summary>
    public HashSet<int> WithForks(IEnumerable<int> roots)
    {
        var set = roots.ToHashSet();
        foreach (var f in Forks) if (set.Contains(f.Parent)) set.Add(f.Child); // in time order: parents are seen first
        return set;
    }

    public void Dispose()
    {
        try { Stop(); }
        catch (Exception) { if (!_helper.HasExited) Proc.KillTree(_helper.Id); }
        _helper.Dispose();
    }
}
