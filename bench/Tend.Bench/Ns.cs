using System.Diagnostics;
using System.Globalization;

/// <summary>A supervisor as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc --kill-child`).</summary>
internal sealed class Ns : IDisposable
{
    private readonly Process _unshare;

    /// <summary>PID 1 of the namespace, as the host sees it.</summary>
    public int Pid { get; }

    private Ns(Process unshare, Action<string>? stderr)
    {
        _unshare = unshare;
        unshare.ErrorDataReceived += (_, e) => { if (stderr is not null && e.Data is { } line) stderr(line); };
        unshare.OutputDataReceived += (_, _) => { };
        unshare.BeginErrorReadLine();
        unshare.BeginOutputReadLine();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var c = Children(unshare.Id);
            if (c.Count > 0) { Pid = c.First(); break; }
            if (sw.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("unshare did not fork");
            Thread.Sleep(1);
        }
    }

    private static readonly string[] UnshareFlags = ["--pid", "--fork", "--mount-proc", "--kill-child"];

    /// <param name="stderr">Called with each line the namespace writes to stderr (the supervisor's log), on a reader thread.</param>
    public static Ns Start(string[] command, Action<string>? stderr = null)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true,
            RedirectStandardInput = true };
        foreach (var a in UnshareFlags.Concat(command)) psi.ArgumentList.Add(a);
        return new Ns(Process.Start(psi)!, stderr);
    }

    /// <summary>The children of <paramref name="pid"/> (all its threads).</summary>
    public static HashSet<int> Children(int pid)
    {
        var result = new HashSet<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string text;
                try { text = File.ReadAllText(Path.Combine(task, "children")); } catch (IOException) { continue; }
                foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries)) result.Add(int.Parse(part,
                    CultureInfo.InvariantCulture));
            }
        }
        catch (IOException) { }
        return result;
    }

    /// <summary>PID 1 and all its live descendants, with their comm.</summary>
    public List<(int Pid, string Comm)> Tree()
    {
        var result = new List<(int, string)>();
        var queue = new Queue<int>([Pid]);
        while (queue.Count > 0)
        {
            var p = queue.Dequeue();
            if (Proc.State(p) is not { } state || state == 'Z') continue;
            result.Add((p, Proc.Comm(p) ?? ""));
            foreach (var c in Children(p)) queue.Enqueue(c);
        }
        return result;
    }

    private static bool IsService(string comm) => comm.StartsWith("svc", StringComparison.Ordinal) && comm.Length == 7;

    public int? ServicePid(string name) => Tree().Where(t => t.Comm == name).Select(t => (int?)t.Pid).FirstOrDefault();

    /// <summary>The supervisor's own processes: everything in the namespace but the services.</summary>
    public List<int> SupervisorPids() => [.. Tree().Where(t => !IsService(t.Comm)).Select(t => t.Pid)];

    /// <summary>
    /// Polls until <paramref name="n"/> distinct services run. A pid once seen as a service is not read again (a
    /// service's comm does not change back, and it has no children), so a poll costs little once most services
    /// run; between polls the poller sleeps twice as long as the poll took (at least 1 ms), so it never takes
    /// more than a third of a core from what it measures — which bounds the resolution at N = 1000.
    /// </summary>
    public void WaitForServices(int n, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        var services = new Dictionary<int, string>();
        while (true)
        {
            var poll = Stopwatch.StartNew();
            var queue = new Queue<int>([Pid]);
            var alive = new HashSet<int>();
            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                alive.Add(p);
                if (services.ContainsKey(p)) continue;
                var comm = Proc.Comm(p);
                if (comm is not null && IsService(comm)) { services[p] = comm; continue; }
                foreach (var c in Children(p)) queue.Enqueue(c);
            }
            foreach (var gone in services.Keys.Where(k => !alive.Contains(k)).ToList()) services.Remove(gone);
            var count = services.Values.Distinct().Count();
            if (count >= n) return;
            if (sw.Elapsed > timeout) throw new TimeoutException($"only {count} of {n} services started");
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(1, 2 * poll.Elapsed.TotalMilliseconds)));
        }
    }

    /// <summary>After SIGTERM: waits until PID 1 has exited and no process of the namespace is left.</summary>
    public bool WaitAllGone(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        var members = Tree().Select(t => t.Pid).ToList();
        while (sw.Elapsed < timeout)
        {
            if (members.All(p => Proc.State(p) is null or 'Z')) return true;
            Thread.Yield();
        }
        return false;
    }

    /// <summary>
    /// Makes an orphan inside the namespace that exits after 0.2 s; returns how long it stayed a zombie: from its
    /// exit to its reaping, as the kernel reports both on a pidfd (POLLIN from the exit, POLLHUP once reaped),
    /// polled without blocking in a loop that yields the CPU each turn (a blocking poll would add a virtual CPU's
    /// wake-up latency, ~0.1 ms here, to every sample; reading /proc/PID/stat instead costs ~0.1 ms a read).
    /// NaN when the exit and the reaping were first seen by the same poll (this loop was off the CPU meanwhile, so
    /// the exit's time is unknown: not a sample). Null when the orphan was not seen or not reaped within 5 s.
    /// </summary>
    public double? OrphanZombieMs()
    {
        var psi = new ProcessStartInfo("nsenter", ["-t", Pid.ToString(CultureInfo.InvariantCulture), "-p", "sh", "-c",
            "(sleep 0.2 & echo $!); exit 0"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        int? orphan = null;
        for (var wait = Stopwatch.StartNew(); orphan is null && wait.Elapsed < TimeSpan.FromSeconds(1); Thread.Sleep(1))
            orphan = Children(Pid).Where(c => Proc.Comm(c) == "sleep").Select(c => (int?)c).FirstOrDefault();
        if (orphan is null) return null;
        var fd = Native.PidfdOpen(orphan.Value);
        if (fd < 0) return null;
        try
        {
            long exited = 0;
            for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(5); Thread.Yield())
            {
                var events = Native.PollNow(fd);
                if ((events & Native.POLLHUP) != 0) return exited == 0 ? double.NaN : Stopwatch.GetElapsedTime(exited).TotalMilliseconds;
                if ((events & Native.POLLIN) != 0 && exited == 0) exited = Stopwatch.GetTimestamp();
            }
            return null;
        }
        // A pidfd has nothing to flush; Linux frees the descriptor even when close reports an error.
        finally { _ = Native.close(fd); }
    }

    public void Dispose()
    {
        if (!_unshare.HasExited)
        {
            Native.SignalIfAlive(Pid, Native.SIGKILL);
            Native.SignalIfAlive(_unshare.Id, Native.SIGKILL);
            _unshare.WaitForExit(5000);
        }
        _unshare.Dispose();
    }
}
