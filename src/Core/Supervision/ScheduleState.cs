using System.Collections.Immutable;

namespace Tend.Supervision;

/// <summary>What Tend knows about a scheduled task's due times, runs and skips (all wall-clock times).</summary>
internal sealed record ScheduleState
{
    /// <summary>Before the schedule first became active.</summary>
    public static readonly ScheduleState Initial = new();

    /// <summary>When the next run is due, while the schedule is active; null when the expression never comes due again.</summary>
    public DateTimeOffset? NextDueAt { get; init; }

    /// <summary>When the last run started.</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The last run was asked for (<c>tend run</c>) rather than due.</summary>
    public bool LastRunRequested { get; init; }

    /// <summary><c>tend run</c> asked for a run now; cleared when it starts.</summary>
    public bool RunRequested { get; init; }

    /// <summary>Due times skipped so far (the previous run still ran, or a dependency was not up).</summary>
    public int Skipped { get; init; }

    /// <summary>The due time last skipped, and why.</summary>
    public (DateTimeOffset Due, string Why)? LastSkip { get; init; }

    /// <summary>Runs in a row that failed (a critical task fails for good after more than its start limit).</summary>
    public int FailedInARow { get; init; }
}
