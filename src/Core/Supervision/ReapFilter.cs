using System.Collections.Immutable;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// What the reaper's thread may look at while the supervisor waits (<see cref="MustReport"/>): the pids of services'
/// processes and readiness checks, in one small array (the reaper reads a few cache lines, not every service's objects),
/// and whether every exit must be reported for now. The gate is held by the supervisor's thread whenever it is awake
/// (<see cref="Awake"/>), so that an exit reaped then is always reported: the supervisor may have spawned a process
/// it has not published yet.
/// </summary>
internal sealed class ReapFilter
{
    private readonly Lock _gate = new();
    private int[] _pids = [];
    private int _count;
    private bool _reportAll;

    /// <summary>The supervisor's thread wakes (takes the gate).</summary>
    public void Awake() => _gate.Enter();

    /// <summary>The supervisor's thread is about to wait (gives the gate back).</summary>
    public void Asleep()
    {
        if (_gate.IsHeldByCurrentThread) _gate.Exit();
    }

    /// <summary>Called under the gate before the supervisor waits: the pids it must hear of.</summary>
    public void Publish(ImmutableArray<ServiceRuntime> runtimes, Probes probes, bool shuttingDown)
    {
        var needed = 2 * runtimes.Length + probes.Count;
        if (_pids.Length < needed) _pids = new int[Math.Max(needed, 2 * _pids.Length)];
        var n = 0;
        // While a service's groups are being cleaned up or stopped (or everything is), any exit may be a group's
        // last member: the supervisor looks at the groups again after each one.
        var all = shuttingDown;
        foreach (var r in runtimes)
        {
            if (r.Process is { } p) _pids[n++] = p.Pid;
            // A launcher that lingers beside its daemon: its end counts too (Identity.OnExit).
            if (r.Run.Launcher is { } l && l.Pid != r.Process?.Pid) _pids[n++] = l.Pid;
            if (r.Phase is ServicePhase.Cleaning or ServicePhase.Stopping) all = true;
        }
        foreach (var pid in probes.Pids) _pids[n++] = pid;
        _count = n;
        _reportAll = all;
    }

    /// <summary>
    /// Called on the reaper's thread with the pid of a child it has just reaped (<see cref="Reaper"/>): true when the
    /// supervisor must hear of it — a service's process, a readiness check, any exit while groups are being cleaned up,
    /// and every exit while the supervisor is awake. An orphan reaped while the supervisor waits is nobody's, and is not
    /// reported.
    /// </summary>
    public bool MustReport(int pid)
    {
        if (!_gate.TryEnter()) return true;
        try { return _reportAll || Array.IndexOf(_pids, pid, 0, _count) >= 0; }
        finally { _gate.Exit(); }
    }
}
