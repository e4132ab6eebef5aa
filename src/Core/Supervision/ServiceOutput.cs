using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Where each service's stdout and stderr go: Tend's own (inherited), or, with <c>--log-prefix</c>, pipes of each run
/// whose lines <see cref="LogPump"/> prefixes with the service's name. Owns the pump.
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
    public static ServiceOutput? Prefixed(ServiceTable table, out string? problem)
    {
        if (!EnsureFileLimit(4 * table.Count + 64, out problem)) return null;
        return new ServiceOutput(new LogPump([.. table.Services.Select(s => s.Name)]));
    }

    /// <summary>
    /// --log-prefix keeps up to four pipe ends per service open while its runs write. Raises the soft open-file limit to
    /// what that needs when the hard limit allows (services inherit the raised soft limit); otherwise says what to do.
    /// </summary>
    private static unsafe bool EnsureFileLimit(int needed, out string? problem)
    {
        problem = null;
        Libc.RLimit limit;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) != 0 || limit.Soft >= (ulong)needed) return true;
        if (limit.Hard < (ulong)needed)
        {
            problem =
                $"--log-prefix needs two pipes per service ({needed} open files for {(needed - 64) / 4} services), above the hard " +
                    $"open-file limit {limit.Hard}: raise the open-file limit (docker run --ulimit nofile={needed}) or drop --log-prefix";
            return false;
        }
        limit.Soft = (ulong)needed;
        if (Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit) == 0) return true;
        problem =
            $"--log-prefix needs {needed} open files and the soft limit cannot be raised ({Libc.ErrorText(Libc.LastError)}): raise it " +
                $"(docker run --ulimit nofile={needed}) or drop --log-prefix";
        return false;
    }

    /// <summary>Waits (at most a second, and only while the sinks read) until the pump relayed what the services wrote.</summary>
    public void Close() => Pump?.WaitDrained(TimeSpan.FromSeconds(1));
}
