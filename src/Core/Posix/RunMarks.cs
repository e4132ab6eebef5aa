namespace Tend.Posix;

/// <summary>
/// A mark every process of one run of a service inherits, so that Tend knows a service by lineage — its main
/// process and everything that process started — whatever the processes are called and wherever they are
/// re-parented.
/// </summary>
/// <remarks>
/// <para>
/// The mark is the soft limit of RLIMIT_RTTIME, set for the spawn and restored right after it. Resource limits are
/// inherited across fork(2) and kept across execve(2) (getrlimit(2)), including setuid programs; what daemons do to
/// leave their starter behind does not touch them: fork and exit, setsid(2), closing every descriptor, clearing the
/// environment (<c>service</c> runs its script under <c>env -i</c>). /proc/PID/limits is readable without
/// privileges (proc(5)), where the timer slack, the audit session or a keyring would need capabilities a container
/// does not have, and a cgroup needs a writable cgroupfs, which Docker does not give by default.
/// </para>
/// <para>
/// RLIMIT_RTTIME only limits the CPU time of real-time (SCHED_FIFO/SCHED_RR) processes between blocking system
/// calls; a mark is above 2^62 µs (146,000 years), so it limits nothing. The marks of one Tend share a prefix drawn
/// from its pid and start time, so two Tends on one host (or one inside another) never take each other's processes.
/// A process that sets RLIMIT_RTTIME itself, or a hard limit below 2^62 (<c>docker run --ulimit rttime=…</c>), loses
/// the mark: then only its process group is the service's, as before lineage.
/// </para>
/// </remarks>
internal static unsafe class RunMarks
{
    /// <summary>Every mark has this bit: 2^62 µs.</summary>
    public const ulong Base = 1UL << 62;

    private static readonly ulong Prefix = ComputePrefix();
    private static uint _counter;

    /// <summary>Whether the hard limit lets Tend set marks (it is RLIM_INFINITY almost everywhere).</summary>
    public static readonly bool Available = CheckAvailable();

    /// <summary>A new mark for one run of a service, or 0 when marks are not available.</summary>
    public static ulong Next() => Available ? Base | (Prefix << 32) | ++_counter : 0;

    /// <summary>Whether <paramref name="mark"/> is one of this Tend's marks.</summary>
    public static bool IsOurs(ulong mark) => mark != 0 && mark >> 32 == (Base >> 32 | Prefix);

    private static ulong ComputePrefix()
    {
        var self = Libc.getpid();
        ProcFs.TryReadStat(self, out var st);
        // 30 bits (the mark keeps bit 62 and the low 32 bits for the counter).
        var h = (ulong)self * 0x9E3779B97F4A7C15UL ^ st.StartTime * 0xC2B2AE3D27D4EB4FUL;
        return (h ^ h >> 29) & 0x3FFF_FFFF;
    }

    private static bool CheckAvailable()
    {
        Libc.RLimit limit;
        return Libc.getrlimit(Libc.RLIMIT_RTTIME, &limit) == 0 && limit.Hard >= (Base | 0x3FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>
    /// Sets the mark for the next spawn on the whole process (resource limits are per process; only the supervisor's
    /// thread spawns); <paramref name="old"/> is the limit to put back with <see cref="Restore"/>. Null when it is
    /// set, else why not: a run spawned without its mark would not be known by its lineage, so the caller does not
    /// spawn it.
    /// </summary>
    public static string? TrySet(ulong mark, out Libc.RLimit old)
    {
        Libc.RLimit current;
        old = default;
        if (Libc.getrlimit(Libc.RLIMIT_RTTIME, &current) != 0)
            return $"cannot read RLIMIT_RTTIME for the lineage mark: {Libc.ErrorText(Libc.LastError)}";
        var marked = current with { Soft = mark };
        // EINVAL when the hard limit was lowered under the mark since start-up (prlimit on Tend).
        if (Libc.setrlimit(Libc.RLIMIT_RTTIME, &marked) != 0)
            return $"cannot set the lineage mark (RLIMIT_RTTIME): {Libc.ErrorText(Libc.LastError)}; was Tend's hard limit lowered " +
                $"(prlimit)?";
        old = current;
        return null;
    }

    /// <summary>
    /// Puts back the limit <see cref="TrySet"/> replaced. Failing here would leave the mark on every later process Tend
    /// starts (readiness checks, other services), which would then count as this run's: that is not gone on with.
    /// </summary>
    /// <exception cref="Libc.Failure">The limit could not be put back.</exception>
    public static void Restore(Libc.RLimit old) =>
        Libc.Check(Libc.setrlimit(Libc.RLIMIT_RTTIME, &old), "cannot restore RLIMIT_RTTIME after a marked spawn");
}
