using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The process table as the supervisor sees it (docs/lineage.md): read from /proc at most once per round of the loop
/// (and again after a batch of reaped exits), with each process's executable read on demand; and which runs still
/// start up, and when each is looked at next. The verdicts on what the table means are <see cref="Identity"/>'s.
/// With a <see cref="LineageTrace"/>, every table read and every exit is written down, so that what a real daemon
/// did can be replayed in a test.
/// </summary>
internal sealed class RunLineage(int services, int self, LineageTrace? trace = null) : IProcessTable
{
    private readonly bool[] _watching = new bool[services];
    private List<ProcStat>? _processes;
    private readonly List<ProcStat> _buffer = new(64);
    private readonly Dictionary<int, string?> _exe = [];

    /// <summary>When (ms) the runs that start up are looked at next, or <see cref="long.MaxValue"/>.</summary>
    public long NextLookAt { get; private set; } = long.MaxValue;

    /// <summary>The trace being written, if any.</summary>
    public LineageTrace? Trace => trace;

    /// <summary>A new round of the loop, or exits were reaped: the process table must be read again when needed.</summary>
    public void NewRound()
    {
        _processes = null;
        _exe.Clear();
    }

    /// <summary>The process table for this round (read once; see <see cref="ProcFs.Snapshot"/>).</summary>
    public IReadOnlyList<ProcStat> Processes
    {
        get
        {
            if (_processes is null)
            {
                // One list, refilled each round: nothing keeps a round's table (the verdicts copy what they keep).
                _processes = ProcFs.Snapshot(self, _buffer);
                trace?.Table(_processes, this);
            }
            return _processes;
        }
    }

    /// <inheritdoc/>
    public string? Exe(int pid)
    {
        if (!_exe.TryGetValue(pid, out var exe)) _exe[pid] = exe = ProcFs.Exe(pid);
        return exe;
    }

    /// <summary>Service <paramref name="i"/>'s new run starts up: look at it soon (<see cref="Lineage.NextLook"/>).</summary>
    public void Watch(int i, long now)
    {
        _watching[i] = true;
        NextLookAt = Math.Min(NextLookAt, Lineage.NextLook(now, now));
    }

    /// <summary>Whether service <paramref name="i"/>'s run is looked at.</summary>
    public bool IsWatched(int i) => _watching[i];

    /// <summary>Service <paramref name="i"/>'s run is not looked at any more (it started up, or ended).</summary>
    public void Unwatch(int i) => _watching[i] = false;

    /// <summary>When (ms) to look next, given what each watched run's look said (<see cref="long.MaxValue"/>: none is watched any
    /// more).</summary>
    public void LookNextAt(long at) => NextLookAt = at;

    /// <summary>The next look (ms), or <see cref="long.MaxValue"/> when no run starts up.</summary>
    public long NextWake()
    {
        if (Array.IndexOf(_watching, true) < 0) NextLookAt = long.MaxValue;
        return NextLookAt;
    }
}
