using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Readiness checks in flight, run on the supervisor's thread without blocking it: a file check is one stat, a TCP
/// check a non-blocking connect polled on later rounds, a command check a child process reaped like any other.
/// Owns every attempt's state; what it learns (a service's run passed its check) it hands back as
/// <see cref="TakePassed"/>, and the supervisor records it through the reconciler.
/// </summary>
internal sealed class ReadinessProbes(ServiceTable table, Spawner spawner, EventLog log, Action spawned) : IDisposable
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

    /// <summary>How often (ms) a TCP connect still in progress is looked at.</summary>
    private const long ConnectPollMs = 10;

    private readonly Dictionary<int, Probe> _probes = [];
    private readonly Dictionary<int, int> _checkErrorReported = []; // service → the run whose check could not start (said once per run)
    private readonly List<(int Service, int Starts)> _passed = [];
    private int _devNull = -1;

    /// <summary>Attempts in flight.</summary>
    public int Count => _probes.Count;

    /// <summary>Starts one attempt of service <paramref name="i"/>'s check for its current run (<paramref name="r"/>), unless one still runs.</summary>
    public void Start(int i, ServiceRuntime r, long now)
    {
        if (_probes.ContainsKey(i)) return; // the previous attempt is still running
        var spec = table.Services[i];
        var check = spec.Ready!;
        var deadline = now + Math.Max(1, (long)check.Timeout.TotalMilliseconds);
        switch (check.Kind)
        {
            case ReadinessKind.File:
                if (Path.Exists(check.Path)) _passed.Add((i, r.Starts));
                break;
            case ReadinessKind.Tcp:
                switch (Sockets.StartConnect(check.Address!, check.Port))
                {
                    case null: break; // refused: not listening yet
                    case (var fd, true):
                        Libc.close(fd);
                        _passed.Add((i, r.Starts));
                        break;
                    case (var fd, false):
                        _probes[i] = new Probe { Service = i, Starts = r.Starts, Deadline = deadline, Socket = fd };
                        break;
                }
                break;
            case ReadinessKind.Command:
                if (_devNull < 0) _devNull = Libc.OpenDevNull();
                var pid = spawner.Spawn(check.Command!, spec.WorkingDirectory, _devNull, _devNull, out var error);
                if (pid == 0)
                {
                    if (r.Starts != _checkErrorReported.GetValueOrDefault(i))
                    {
                        _checkErrorReported[i] = r.Starts;
                        log.Service(spec.Name, EventNames.CheckError, $"readiness check cannot run: {error}", restarts: r.Restarts, error: true);
                    }
                    break;
                }
                _probes[i] = new Probe { Service = i, Starts = r.Starts, Deadline = deadline, Pid = pid };
                spawned();
                break;
        }
    }

    /// <summary>Polls TCP attempts in flight and ends attempts past their timeout (a command check's group gets SIGKILL).</summary>
    public void Poll(long now)
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

    /// <summary>A reaped pid that is no service's: true when it was a command check, which then counts as ended.</summary>
    public bool OnExit(int pid, ExitStatus status)
    {
        foreach (var probe in _probes.Values)
            if (probe.Pid == pid)
            {
                Finish(probe, status.Success && !probe.Killed);
                return true;
            }
        return false;
    }

    /// <summary>The services whose run (by its start count) passed its check since the last call.</summary>
    public List<(int Service, int Starts)> TakePassed()
    {
        if (_passed.Count == 0) return [];
        var passed = _passed.ToList();
        _passed.Clear();
        return passed;
    }

    /// <summary>The pids of command checks in flight (the reaper must report their exits).</summary>
    public IEnumerable<int> Pids
    {
        get
        {
            foreach (var p in _probes.Values) if (p.Pid > 0) yield return p.Pid;
        }
    }

    /// <summary>The next moment (ms) an attempt in flight needs looking at: its timeout, or soon for a TCP connect still in progress.</summary>
    public long NextDeadline(long now)
    {
        var wake = long.MaxValue;
        foreach (var p in _probes.Values)
            wake = Math.Min(wake, p.Socket >= 0 ? Math.Min(p.Deadline, now + ConnectPollMs) : p.Killed ? long.MaxValue : p.Deadline);
        return wake;
    }

    private void Finish(Probe probe, bool passed)
    {
        _probes.Remove(probe.Service);
        if (probe.Socket >= 0) Libc.close(probe.Socket);
        if (passed) _passed.Add((probe.Service, probe.Starts));
    }

    /// <summary>Ends every attempt in flight.</summary>
    public void Dispose()
    {
        foreach (var p in _probes.Values)
        {
            if (p.Socket >= 0) Libc.close(p.Socket);
            if (p.Pid > 0) Libc.kill(-p.Pid, Libc.SIGKILL);
        }
        _probes.Clear();
    }
}
