using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>Where a service is in its life.</summary>
public enum ServicePhase
{
    /// <summary>Not started yet: waiting for its dependencies.</summary>
    Waiting,
    /// <summary>Its main process runs.</summary>
    Running,
    /// <summary>Its main process ended; what is left of its process group is being stopped before the next step.</summary>
    Cleaning,
    /// <summary>Waiting out the backoff delay before the next start.</summary>
    Backoff,
    /// <summary>Asked to stop; waiting for its process group to end.</summary>
    Stopping,
    /// <summary>Stopped on request.</summary>
    Stopped,
    /// <summary>Given up on: restart policy, start limit or a failed dependency.</summary>
    Failed,
    /// <summary>Ran to completion (a one-shot task, or a service that must not restart).</summary>
    Completed,
}

/// <summary>How a process ended.</summary>
public readonly record struct ExitStatus(int Code, int Signal, bool Unknown = false)
{
    /// <summary>Exited with code 0.</summary>
    public bool Success => !Unknown && Signal == 0 && Code == 0;

    /// <summary>Exited normally with <paramref name="code"/>.</summary>
    public static ExitStatus Exited(int code) => new(code, 0);

    /// <summary>Killed by <paramref name="signal"/>.</summary>
    public static ExitStatus Killed(int signal) => new(0, signal);

    /// <summary>The code a shell reports for it (128+N for signal N), 0 when unknown: what Tend hands on when a critical service fails for good.</summary>
    public int ShellCode => Unknown ? 0 : Signal != 0 ? 128 + Signal : Code;

    /// <summary>A process that was not Tend's child disappeared; its status cannot be known.</summary>
    public static ExitStatus Vanished => new(0, 0, Unknown: true);

    /// <inheritdoc/>
    public override string ToString() =>
        Unknown ? "an unknown status (not Tend's child)" : Signal != 0 ? $"signal {Signals.Name(Signal)}" : $"exit code {Code}";
}

/// <summary>A process identified by pid and start time (pids are reused; the pair is not).</summary>
/// <param name="Pid">The process id.</param>
/// <param name="StartTime">Field 22 of /proc/PID/stat, in clock ticks after boot (for a process Tend spawned, a lower bound taken just before the spawn).</param>
/// <param name="Pgid">The process group that is the service's own and receives its signals, or 0 when it shares a group with
/// processes that are not the service's (an adopted process): then only the process itself is signalled.</param>
/// <param name="IsChild">Tend's direct child: its exit is seen through waitid; otherwise only a /proc scan sees it.</param>
/// <param name="Launched">Tend started it itself (it may still hand over to a daemon it starts); false for a daemon found by lineage, or an adopted process.</param>
public sealed record TrackedProcess(int Pid, ulong StartTime, int Pgid, bool IsChild, bool Launched);

/// <summary>What Tend knows about one service at one moment; updated only through <see cref="Reconciler"/>.</summary>
public sealed record ServiceRuntime
{
    /// <summary>The phase.</summary>
    public ServicePhase Phase { get; init; } = ServicePhase.Waiting;

    /// <summary>The process that stands for the service while it runs.</summary>
    public TrackedProcess? Process { get; init; }

    /// <summary>
    /// The process groups of the current run: its launcher's, and those of every process of its lineage seen while
    /// it started up (<see cref="Lineage"/>). A stop, and the cleanup after the main process died, signal them all.
    /// </summary>
    public ImmutableArray<int> Groups { get; init; } = [];

    /// <summary>The run mark its processes inherit (<c>Posix.RunMarks</c>), or 0 (adopted, or marks unavailable).</summary>
    public ulong Mark { get; init; }

    /// <summary>The process Tend spawned for the current run, while it may still linger after handing over to its daemon.</summary>
    public TrackedProcess? Launcher { get; init; }

    /// <summary>Until when (ms) the current run is starting up: its new processes are the service's, and its lineage is followed.</summary>
    public long StartupUntil { get; init; }

    /// <summary>Pids of the run's lineage seen so far while it started up (the launcher aside).</summary>
    public ImmutableArray<int> Members { get; init; } = [];

    /// <summary>
    /// Its launcher exited 0 while starting up and left nothing running: completed, but — unlike a one-shot task or a
    /// service that must not restart — never a reason to stop the container, unless the service is critical.
    /// </summary>
    public bool LauncherCompleted { get; init; }

    /// <summary>When (ms) the current main process became it (its spawn, adoption or hand-over).</summary>
    public long MainSince { get; init; }

    /// <summary>Sessions the running daemon started itself once settled (logins, jobs): never the service's, even while it starts up.</summary>
    public ImmutableArray<int> ForeignSessions { get; init; } = [];

    /// <summary>When (ms) a new process of the run's lineage was last seen.</summary>
    public long LastNewMemberAt { get; init; }

    /// <summary>When the current run started (ms on the supervisor's clock).</summary>
    public long StartedAt { get; init; }

    /// <summary>When the next start is due, in <see cref="ServicePhase.Backoff"/>.</summary>
    public long NextStartAt { get; init; }

    /// <summary>When the stop signal went to the group, while cleaning up or stopping.</summary>
    public long? StopSentAt { get; init; }

    /// <summary>SIGKILL has been sent to the group.</summary>
    public bool Killed { get; init; }

    /// <summary>How the last run ended.</summary>
    public ExitStatus? LastExit { get; init; }

    /// <summary>Times of recent quick failures (runs shorter than the minimum uptime).</summary>
    public ImmutableArray<long> QuickFailures { get; init; } = [];

    /// <summary>How many times the service was started.</summary>
    public int Starts { get; init; }

    /// <summary>The phase to enter once cleanup of the group is done.</summary>
    public ServicePhase AfterCleanup { get; init; }

    /// <summary>The readiness check of the current run passed (always false for a service without a check: see <see cref="Reconciler.IsReady"/>).</summary>
    public bool Ready { get; init; }

    /// <summary>When the next readiness check is due (ms), while running and not ready yet.</summary>
    public long NextCheckAt { get; init; }

    /// <summary>Why the service failed, when it did.</summary>
    public string? Reason { get; init; }

    /// <summary>Restarts so far (starts after the first).</summary>
    public int Restarts => Math.Max(0, Starts - 1);

    internal bool IsDown => Phase is ServicePhase.Waiting or ServicePhase.Backoff or ServicePhase.Stopped or ServicePhase.Failed or ServicePhase.Completed;
}
