namespace Tend.Supervision;

/// <summary>Where a service is in its life.</summary>
internal enum ServicePhase
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
    /// <summary>A scheduled task between runs: waiting for its next due time (<see cref="ScheduleRules"/>).</summary>
    Scheduled,
}
