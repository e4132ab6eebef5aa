using System.Diagnostics;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>
/// Tend's lineage trace (<see cref="LineageTrace"/>, turned on by TEND_LINEAGE_TRACE), read while Tend writes it: what
/// a test waits on instead of a fixed sleep when it must know that Tend has looked at a run. Every look is a line of the
/// trace, so "Tend looked twice since", "a look saw this process" and "the run's start-up is over" are events, however
/// slow the machine. The file lives under /var/tmp (the daemon namespaces have a private /tmp); it is removed on dispose
/// unless a <see cref="FixtureRecording"/> keeps it.
/// </summary>
internal sealed class LiveTrace : IDisposable
{
    private readonly bool _owned;

    /// <summary>A trace of its own, or <paramref name="recording"/>'s file when that records one (it then keeps it).</summary>
    public LiveTrace(FixtureRecording? recording = null)
    {
        _owned = recording?.Path is null;
        Path = recording?.Path ?? System.IO.Path.Combine("/var/tmp", $"tend-trace-{Guid.NewGuid():N}.jsonl");
    }

    /// <summary>Where Tend writes the trace.</summary>
    public string Path { get; }

    /// <summary>The variable that turns the trace on, for TendRun.Start's <c>env</c>.</summary>
    public (string Name, string Value)[] Env => [(LineageTrace.Variable, Path)];

    /// <summary>A setup line that hands the trace file to Tend.</summary>
    public string Setup => $"export {LineageTrace.Variable}={Path}";

    /// <summary>The trace so far, replayed (<see cref="LineageFixture.ReplayLive"/>); null before Tend made the file.</summary>
    public LineageFixture? Read() => File.Exists(Path) ? LineageFixture.ReplayLive(Path) : null;

    /// <summary>How many times Tend has looked at <paramref name="service"/>'s runs so far.</summary>
    public int Looks(string service) => Read() is { } f ? LooksIn(f, service) : 0;

    /// <summary>Waits until Tend has looked at <paramref name="service"/> <paramref name="count"/> more times than
    /// <paramref name="after"/> (a count from <see cref="Looks"/>).</summary>
    public void WaitForLooks(string service, int count, int after, double seconds = 30) =>
        Until(f => LooksIn(f, service) >= after + count, $"{count} more looks at {service} after the first {after}", seconds);

    /// <summary>Waits until a look at <paramref name="service"/>'s latest run read a process table that holds
    /// <paramref name="nsPid"/> (a pid in Tend's own PID namespace).</summary>
    public void WaitForLookSeeing(string service, int nsPid, double seconds = 30) => Until(f =>
    {
        var since = f.Spawns.LastOrDefault(s => s.Service == f.Services.IndexOf(service)).T;
        return f.Steps.Any(s => s.Kind == "look" && s.Service == service && s.T >= since && s.Table.Processes.Any(p => p.Pid == nsPid));
    }, $"a look at {service} that saw pid {nsPid}", seconds);

    /// <summary>
    /// Waits until the latest run of <paramref name="service"/> (at least its <paramref name="runs"/>th) has started up:
    /// Tend made its last look at it and wrote so (the trace's <c>startedUp</c> line, RunTracker.FollowStartups). The
    /// default timeout is past Tend's longest start-up (<see cref="Lineage.StartupMaxMs"/>).
    /// </summary>
    public void WaitStartedUp(string service, int runs = 1, double seconds = 120) => Until(f =>
    {
        var i = f.Services.IndexOf(service);
        var spawns = f.Spawns.Where(s => s.Service == i).ToList();
        if (spawns.Count < runs) return false;
        var spawned = spawns[^1].T;
        return f.StartedUp.Any(s => s.Service == i && s.T >= spawned);
    }, $"the start-up of {service}'s run {runs} or later to end", seconds);

    private static int LooksIn(LineageFixture f, string service) => f.Steps.Count(s => s.Kind == "look" && s.Service == service);

    private void Until(Func<LineageFixture, bool> done, string what, double seconds)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (Read() is { } f && done(f)) return;
            if (sw.Elapsed.TotalSeconds > seconds)
                throw new TimeoutException($"the lineage trace {Path} did not show {what} within {seconds} s (a timeout for a hang, not a "
                    +
                    $"bound on speed)");
            Thread.Sleep(50); // a poll: each read replays the whole trace
        }
    }

    public void Dispose()
    {
        if (_owned) File.Delete(Path);
    }
}
