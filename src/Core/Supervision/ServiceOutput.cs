using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Where each service's stdout and stderr go: Tend's own (inherited), or pipes of each run that <see cref="LogPump"/>
/// relays to Tend's own — raw, or with <c>--log-prefix</c> each line prefixed with the service's name — keeping each line
/// in the service's log ring (<see cref="ServiceLogs"/>). Owns the pump.
/// </summary>
internal sealed class ServiceOutput
{
    private ServiceOutput(LogPump? pump) => Pump = pump;

    /// <summary>The pump of <c>--log-prefix</c>, or null: the services write where Tend writes.</summary>
    public LogPump? Pump { get; }

    /// <summary>Inherited output: the services write where Tend writes.</summary>
    public static ServiceOutput Inherited() => new(null);

    /// <summary>Prefixed output: two pipes per run, relayed by the writers of Tend's stdout and stderr.</summary>
    /// <returns>The output, or null with <paramref name="problem"/> saying what to do (the open-file limit is too low).</returns>
    public static ServiceOutput? Prefixed(ServiceTable table, out string? problem) => Relayed(table, true, null, out problem);

    /// <summary>
    /// Relayed output: two pipes per run of each service whose output is prefixed (<paramref name="prefix"/>) or kept in
    /// <paramref name="logs"/>; the other services write where Tend writes.
    /// </summary>
    /// <returns>The output, or null with <paramref name="problem"/> saying what to do (the open-file limit is too low).</returns>
    public static ServiceOutput? Relayed(ServiceTable table, bool prefix, ServiceLogs? logs, out string? problem)
    {
        var piped = prefix ? table.Count : Enumerable.Range(0, table.Count).Count(i => logs?.Keeps(i) ?? false);
        if (!EnsureFileLimit(4 * piped + 64, out problem, prefix ? "--log-prefix" : "the log buffer",
            prefix ? "drop --log-prefix" : "give --log-buffer 0")) return null;
        return new ServiceOutput(new LogPump([.. table.Services.Select(s => s.Name)], prefix, logs));
    }

    /// <summary>
    /// --log-prefix keeps up to four pipe ends per service open while its runs write. Raises the soft open-file limit to
    /// what that needs when the hard limit allows (services inherit the raised soft limit); otherwise says what to do.
    /// </summary>
    private static unsafe bool EnsureFileLimit(int needed, out string? problem, string what, string instead)
    {
        problem = null;
        Libc.RLimit limit;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) != 0 || limit.Soft >= (ulong)needed) return true;
        if (limit.Hard < (ulong)needed)
        {
            problem =
                $"{what} needs two pipes per service ({needed} open files for {(needed - 64) / 4} services), above the hard open-file " +
                    $"limit {limit.Hard}: raise the open-file limit (docker run --ulimit nofile={needed}) or {instead}";
            return false;
        }
        limit.Soft = (ulong)needed;
        if (Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit) == 0) return true;
        problem =
            $"{what} needs {needed} open files and the soft limit cannot be raised ({Libc.ErrorText(Libc.LastError)}): raise it (docker " +
                $"run --ulimit nofile={needed}) or {instead}";
        return false;
    }

    /// <summary>Waits (at most a second, and only while the sinks read) until the pump relayed what the services wrote.</summary>
    public void Close() => Pump?.WaitDrained(TimeSpan.FromSeconds(1));
}
