using Tend.Logging;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Where each service's stdout and stderr go: Tend's own (inherited), or, with <c>--log-prefix</c>, a pipe per stream
/// whose lines <see cref="LogPump"/> prefixes with the service's name. Owns the pipes' write ends and the pump.
/// </summary>
internal sealed class ServiceOutput
{
    private readonly (int Out, int Err)[] _pipes;
    private LogPump? _pump;

    private ServiceOutput(int count)
    {
        _pipes = new (int, int)[count];
        Array.Fill(_pipes, (-1, -1));
    }

    /// <summary>The fds service <paramref name="i"/>'s stdout and stderr get; -1 for Tend's own.</summary>
    public (int Out, int Err) For(int i) => _pipes[i];

    /// <summary>Inherited output: the services write where Tend writes.</summary>
    public static ServiceOutput Inherited(int count) => new(count);

    /// <summary>Prefixed output: two pipes per service, read by one pump thread.</summary>
    /// <returns>The output, or null with <paramref name="problem"/> saying what to do (the open-file limit is too low).</returns>
    public static ServiceOutput? Prefixed(ServiceTable table, out string? problem)
    {
        if (!EnsureFileLimit(4 * table.Count + 64, out problem)) return null;
        var output = new ServiceOutput(table.Count);
        try
        {
            output._pump = new LogPump();
            for (var i = 0; i < table.Count; i++)
                output._pipes[i] = (output._pump.Open(table.Services[i].Name, 1), output._pump.Open(table.Services[i].Name, 2));
            return output;
        }
        catch (IOException e)
        {
            // Two pipes per service: many services can exceed the open-file limit.
            problem = $"--log-prefix needs two pipes per service and {e.Message}: raise the open-file limit (ulimit -n, docker run --ulimit nofile=…) or drop --log-prefix";
            return null;
        }
    }

    /// <summary>
    /// --log-prefix keeps four pipe ends per service open in Tend. Raises the soft open-file limit to what that
    /// needs when the hard limit allows (services inherit the raised soft limit); otherwise says what to do.
    /// </summary>
    private static unsafe bool EnsureFileLimit(int needed, out string? problem)
    {
        problem = null;
        Libc.RLimit limit;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) != 0 || limit.Soft >= (ulong)needed) return true;
        if (limit.Hard < (ulong)needed)
        {
            problem = $"--log-prefix needs two pipes per service ({needed} open files for {(needed - 64) / 4} services), above the hard open-file limit {limit.Hard}: raise the open-file limit (docker run --ulimit nofile={needed}) or drop --log-prefix";
            return false;
        }
        limit.Soft = (ulong)needed;
        return Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit) == 0;
    }

    /// <summary>Closes Tend's write ends and waits (at most a second) until the pump relayed what the services wrote.</summary>
    public void Close()
    {
        if (_pump is null) return;
        foreach (var (o, e) in _pipes)
        {
            // Pipe write ends: Linux releases the descriptor whatever close returns, so there is nothing to retry.
            _ = Libc.close(o);
            _ = Libc.close(e);
        }
        _pump.WaitDrained(TimeSpan.FromSeconds(1));
    }
}
