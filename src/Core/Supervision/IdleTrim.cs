using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Gives back memory an idle supervisor does not need — the GC heap's free space, then the binary's clean pages —
/// once Tend has been quiet for <see cref="DelayMs"/>: after its start, after a control request, or at once when every
/// run's start-up ended (see <see cref="RunNow"/>), and again when quiet after <see cref="BurstBytes"/> were allocated since
/// the last trim (a burst of restarts). Owns when that is due; costs no wake-up while nothing happens.
/// </summary>
internal sealed class IdleTrim
{
    /// <summary>How long (ms) Tend must be quiet before it gives memory back.</summary>
    public const int DelayMs = 1000;

    /// <summary>
    /// Bytes allocated on the managed heap since the last trim after which a quiet Tend trims again (restarts, looks at the
    /// process table and control requests leave garbage behind that a collection would only reclaim once the GC's
    /// allocation budget is spent — a budget sized from the CPU's cache, tens of MiB on a large host).
    /// </summary>
    public const long BurstBytes = 1 << 20;

    private bool _settled;
    private long? _dueAt;
    private long _allocatedAtTrim;

    /// <summary>
    /// When (ms) the supervisor must wake for a trim, or <see cref="long.MaxValue"/> when none is due or requests still
    /// wait (<paramref name="busy"/>: the trim then happens in the round that answers the last of them).
    /// </summary>
    public long NextWake(bool busy) => busy ? long.MaxValue : _dueAt ?? long.MaxValue;

    /// <summary>
    /// Called when the supervisor would wait with nothing to wake for: the first time, startup's pages of the binary are
    /// not needed any more. The trim waits a second, so its work does not compete with the services' own start for the CPU.
    /// </summary>
    public void Idle(long now)
    {
        if (_settled && GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtTrim < BurstBytes) return;
        _settled = true;
        _dueAt ??= now + DelayMs;
    }

    /// <summary>Something touched memory that an idle Tend does not need (a control request): trim once quiet again.</summary>
    public void Touched(long now) => _dueAt = now + DelayMs;

    /// <summary>Trims when due and <paramref name="busy"/> is false (requests still wait for an answer).</summary>
    public void RunIfDue(long now, bool busy)
    {
        if (_dueAt is not { } due || now < due || busy) return;
        _dueAt = null;
        Trim();
    }

    /// <summary>Every run has started up: give back what reading the process table touched now, rather than after a delay that would wake
    /// an idle Tend once more.</summary>
    public void RunNow()
    {
        _settled = true;
        _dueAt = null;
        Trim();
    }

    /// <summary>Reads which pages of the executable to drop (that allocates), collects the heap (garbage of the reading
    /// included), then drops the pages (the collector's own code pages included).</summary>
    private void Trim()
    {
        var ranges = WorkingSet.ExecutableRanges();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        WorkingSet.Drop(ranges);
        _allocatedAtTrim = GC.GetTotalAllocatedBytes(precise: false);
    }
}
