using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Readiness checks, run on the supervisor's thread without blocking it: a file check is one stat, a TCP check a
/// non-blocking connect polled on later rounds, a command check a child process reaped like any other.
/// </summary>
public sealed partial class Supervisor
{
    /// <summary>One attempt in flight, for the run it was started in.</summary>
    private sealed class Probe
    {
        public required int Service;
        public required int Starts;
        public required long Deadline;
        public int Socket = -1;
        public int Pid;
        public bool Killed;
    }

    private readonly Dictionary<int, Probe> _probes = [];
    private readonly Dictionary<int, int> _checkErrorReported = []; // service → the run whose check could not start (said once per run)
    private int _devNull = -1;
    private bool _becameReady;

    private void RunCheck(int i, long now)
    {
        if (_probes.ContainsKey(i)) return; // the previous attempt is still running
        var spec = _table.Services[i];
        var check = spec.Ready!;
        var r = _runtimes[i];
        var deadline = now + Math.Max(1, (long)check.Timeout.TotalMilliseconds);
        switch (check.Kind)
        {
            case ReadinessKind.File:
                if (Path.Exists(check.Path)) MarkReady(i);
                break;
            case ReadinessKind.Tcp:
                {
                    switch (Sockets.StartConnect(check.Address!, check.Port))
                    {
                        case null: break; // refused: not listening yet
                        case (var fd, true):
                            Libc.close(fd);
                            MarkReady(i);
                            break;
                        case (var fd, false):
                            _probes[i] = new Probe { Service = i, Starts = r.Starts, Deadline = deadline, Socket = fd };
                            break;
                    }
                    break;
                }
            case ReadinessKind.Command:
                {
                    if (_devNull < 0) _devNull = Libc.OpenDevNull();
                    var pid = _spawner.Spawn(check.Command!, spec.WorkingDirectory, _devNull, _devNull, out var error);
                    if (pid == 0)
                    {
                        if (r.Starts != _checkErrorReported.GetValueOrDefault(i))
                        {
                            _checkErrorReported[i] = r.Starts;
                            _log.Service(spec.Name, "check-error", $"readiness check cannot run: {error}", restarts: r.Restarts, error: true);
                        }
                        break;
                    }
                    _probes[i] = new Probe { Service = i, Starts = r.Starts, Deadline = deadline, Pid = pid };
                    _reaper!.Spawned();
                    break;
                }
        }
    }

    /// <summary>Polls TCP attempts in flight and ends attempts past their timeout.</summary>
    private void PollProbes(long now)
    {
        if (_probes.Count == 0) return;
        foreach (var probe in _probes.Values.ToList())
        {
            if (probe.Socket >= 0)
            {
                if (Sockets.ConnectResult(probe.Socket) is { } connected) Finish(probe, connected);
                else if (now >= probe.Deadline) Finish(probe, false);
            }
            else if (!probe.Killed && now >= probe.Deadline)
            {
                Libc.kill(-probe.Pid, Libc.SIGKILL); // the check runs in its own session and group
                probe.Killed = true;
            }
        }
    }

    /// <summary>A reaped pid that is no service's: a command check ending.</summary>
    private bool OnProbeExit(int pid, ExitStatus status)
    {
        foreach (var probe in _probes.Values)
            if (probe.Pid == pid)
            {
                Finish(probe, status.Success && !probe.Killed);
                return true;
            }
        return false;
    }

    private void Finish(Probe probe, bool passed)
    {
        _probes.Remove(probe.Service);
        if (probe.Socket >= 0) Libc.close(probe.Socket);
        var r = _runtimes[probe.Service];
        if (passed && r.Phase == ServicePhase.Running && r.Starts == probe.Starts && !r.Ready) MarkReady(probe.Service);
    }

    private void MarkReady(int i)
    {
        var r = Reconciler.OnReady(_runtimes[i]);
        _runtimes = _runtimes.SetItem(i, r);
        _becameReady = true;
        var spec = _table.Services[i];
        _log.Service(spec.Name, "ready", $"ready ({spec.Ready}) after {Duration.Format(TimeSpan.FromMilliseconds(Math.Max(0, Now - r.StartedAt)))}", r.Process?.Pid, restarts: r.Restarts);
    }

    /// <summary>The next moment a probe in flight needs looking at: its timeout, or soon for a TCP connect still in progress.</summary>
    private long? ProbeDeadline()
    {
        long? wake = null;
        foreach (var p in _probes.Values)
        {
            var t = p.Socket >= 0 ? Math.Min(p.Deadline, Now + 10) : p.Killed ? long.MaxValue : p.Deadline;
            if (t != long.MaxValue) wake = wake is { } w ? Math.Min(w, t) : t;
        }
        return wake;
    }

    private void CloseProbes()
    {
        foreach (var p in _probes.Values)
        {
            if (p.Socket >= 0) Libc.close(p.Socket);
            if (p.Pid > 0) Libc.kill(-p.Pid, Libc.SIGKILL);
        }
        _probes.Clear();
    }
}
