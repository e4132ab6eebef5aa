using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Tend.Posix;

namespace Tend.Tests;

/// <summary>
/// Runs the real `tend` binary (as PID 1 of a fresh PID namespace by default) with JSON events on stderr, and
/// gives the test its events, its stdout, and the host pids of its processes. Dispose ends everything it
/// started by pid: SIGKILL to the namespace's PID 1 takes the whole namespace with it.
/// </summary>
internal sealed partial class TendRun : IDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _events = [];
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly bool _pid1;
    private int _cursor;

    public static string Binary =>
        Environment.GetEnvironmentVariable("TEND_BINARY") is { Length: > 0 } b ? b : Path.Combine(RepoRoot, "samples/AdHoc/bin",
            BuildConfiguration, "net10.0/Tend.AdHoc");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Framework.sln"))) dir = dir.Parent;
            return dir?.FullName
                ?? throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// A copy of <see cref="Binary"/>'s folder that every user may traverse and that no test's private /tmp or /run
    /// hides (a fresh 0755 folder under /var/tmp): for Tend or its client run as another uid, or under a private /tmp,
    /// wherever the clone is (one under /root is closed to other users, one under /tmp is hidden by a private /tmp).
    /// Made once per test process; removed when the process exits.
    /// </summary>
    public static string ReachableBinary => Reachable.Value;

    private static readonly Lazy<string> Reachable = new(() =>
    {
        var from = Path.GetDirectoryName(Binary)!;
        var to = Path.Combine("/var/tmp", "tend-test-bin-" + Guid.NewGuid().ToString("N")[..12]);
        const UnixFileMode Open = (UnixFileMode)0b111_101_101;
        Directory.CreateDirectory(to, Open);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var copy = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file) | UnixFileMode.OtherRead | UnixFileMode.GroupRead);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(to, recursive: true);
        return Path.Combine(to, Path.GetFileName(Binary));
    });

    /// <summary>The ApacheSsh sample: the seed's services declared in C#.</summary>
    public static string ApacheSshBinary => Path.Combine(RepoRoot, "samples/ApacheSsh/bin", BuildConfiguration, "net10.0/ApacheSsh");

    internal static string BuildConfiguration => AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";

    /// <summary>This run's own control socket (Tend creates its directory, 0700); removed on dispose.</summary>
    public string SocketPath { get; } = Path.Combine(Path.GetTempPath(), "tend-ctl-" + Guid.NewGuid().ToString("N")[..12], "control.sock");

    /// <summary>Runs the client: <c>tend VERB …</c> against this run's socket; returns its exit code and output.</summary>
    public (int Code, string Out, string Err) Ctl(params string[] args) => Client(SocketPath, args);

    /// <summary>
    /// Runs the client against <paramref name="socket"/>, optionally through a prefix such as setpriv (then from
    /// <see cref="ReachableBinary"/>, since the prefix may run it as a user that cannot reach the clone).
    /// </summary>
    public static (int Code, string Out, string Err) Client(string socket, string[] args, string[]? prefix = null)
    {
        var psi = new ProcessStartInfo(prefix is null ? Binary : prefix[0]) { RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false };
        foreach (var p in prefix?.Skip(1) ?? []) psi.ArgumentList.Add(p);
        if (prefix is not null) psi.ArgumentList.Add(ReachableBinary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TEND_CONTROL_SOCKET"] = socket;
        using var p2 = Process.Start(psi)!;
        var err = p2.StandardError.ReadToEndAsync();
        var output = p2.StandardOutput.ReadToEnd();
        if (!p2.WaitForExit(TimeSpan.FromSeconds(90))) { p2.Kill();
            throw new TimeoutException($"tend {string.Join(' ', args)} did not return"); }
        return (p2.ExitCode, output, err.Result);
    }

    /// <summary>The pid of tend in the host's PID namespace.</summary>
    public int Pid { get; }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private TendRun(string file, IEnumerable<string> args, bool pid1, (string Name, string Value)[]? env = null)
    {
        _pid1 = pid1;
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false };
        psi.Environment["TEND_CONTROL_SOCKET"] = SocketPath;
        foreach (var (name, value) in env ?? []) psi.Environment[name] = value;
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.Append(e.Data).Append('\n');
            if (e.Data.StartsWith('{'))
                lock (_events)
                {
                    _events.Add(JsonDocument.Parse(e.Data).RootElement.Clone());
                    Monitor.PulseAll(_events);
                }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = pid1 ? WaitForChild(_process.Id) : _process.Id;
    }

    /// <summary>Starts tend; with <paramref name="setup"/>, a bash script runs first inside the namespace (mounts, files) and then execs
    /// tend.</summary>
    /// <remarks>
    /// With <paramref name="net"/>, the namespace has its own network (only a loopback, down until setup brings it up)
    /// and its own System V IPC too (postgres keys its shared memory by data directory; another run's must not clash).
    /// </remarks>
    public static TendRun Start(IEnumerable<string> tendArgs, string? setup = null, bool pid1 = true, string? scenario = null,
        string? binary = null, bool net = false, (string Name, string Value)[]? env = null)
    {
        // With a scenario, the test host runs: services declared in C# through Tend's public API.
        binary ??= scenario is null ? Binary : Path.Combine(RepoRoot, "tests/TestHost/bin", BuildConfiguration, "net10.0/Tend.TestHost");
        var args = scenario is null ? new List<string>() : [scenario];
        args.AddRange(["--log-format", "json"]);
        // As PID 1 Tend clears the previous boot's pid files under /run; this namespace shares the host's /run (unless
        // the setup mounts one), which is not its to clear (docs/lineage.md, "A container restart is a boot").
        if (pid1) args.Add("--keep-run");
        args.AddRange(tendArgs);
        if (!pid1) return new TendRun(binary, args, pid1: false, env);
        var command = new List<string> { "--pid", "--fork", "--mount-proc", "--kill-child" };
        if (net) command.AddRange(["--net", "--ipc"]);
        if (setup is null) command.Add(binary);
        else command.AddRange(["bash", "-euc", setup + "\nexec \"$0\" \"$@\"", binary]);
        command.AddRange(args);
        return new TendRun("unshare", command, pid1: true, env);
    }

    public static TendRun Start(params string[] tendArgs) => Start(tendArgs, null);

    /// <summary>
    /// Runs <paramref name="file"/> (the tend binary by default) with arguments it must refuse: returns its exit code,
    /// stdout and stderr; a run that supervises instead (still running after 30 s) fails the test, and is killed by pid.
    /// </summary>
    public static (int Code, string Out, string Err) Refused(string[] args, (string Name, string Value)[]? env = null, string? file = null)
    {
        var psi = new ProcessStartInfo(file ?? Binary) { RedirectStandardOutput = true, RedirectStandardError = true,
            RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in env ?? []) psi.Environment[name] = value;
        psi.Environment["TEND_CONTROL_SOCKET"] = Path.Combine(Path.GetTempPath(), "tend-usage-" + Guid.NewGuid().ToString("N")[..12],
            "control.sock");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            _ = kill(p.Id, Libc.SIGKILL);
            p.WaitForExit();
            Assert.Fail($"{psi.FileName} {string.Join(' ', args)} is supervising instead of refusing its arguments");
        }
        return (p.ExitCode, output, err.Result);
    }

    private static int WaitForChild(int parent)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            var children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Trim();
            if (children.Length > 0) return int.Parse(children.Split(' ')[0]);
            Thread.Sleep(2);
        }
        throw new TimeoutException("unshare did not fork tend");
    }

    public IReadOnlyList<JsonElement> Events { get { lock (_events) return [.. _events]; } }

    /// <summary>Waits for the next event (after the previous match) that satisfies <paramref name="match"/>.</summary>
    public JsonElement Next(Func<JsonElement, bool> match, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        lock (_events)
        {
            while (true)
            {
                for (; _cursor < _events.Count; _cursor++)
                    if (match(_events[_cursor])) return _events[_cursor++];
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"no matching event within {seconds}s. Events so " +
                        $"far:\n{string.Join('\n', _events)}\nstderr:\n{Stderr}");
                Monitor.Wait(_events, left);
            }
        }
    }

    /// <summary>
    /// Asserts Tend restarted <paramref name="service"/> at once after its last exit: that <c>exited</c> event says no
    /// delay (delayMs 0) — Tend's own decision, not a wall-clock bound a loaded machine would break. The time the test
    /// saw (<paramref name="elapsed"/>) is only reported. Waits (bounded) for the event, without moving
    /// <see cref="Next(Func{JsonElement, bool}, double)"/>'s cursor.
    /// </summary>
    public void AssertRestartedAtOnce(string service, TimeSpan elapsed, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        lock (_events)
        {
            while (true)
            {
                var exited = _events.LastOrDefault(e => Str(e, "service") == service && Str(e, "event") == "exited");
                if (exited.ValueKind != JsonValueKind.Undefined)
                {
                    Assert.True(Int(exited, "delayMs") == 0,
                        $"{service} was restarted after a delay of {Int(exited, "delayMs")} ms (seen back " +
                            $"after {elapsed.TotalMilliseconds:F0} ms)");
                    return;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <=
                    TimeSpan.Zero)
                    throw new TimeoutException($"no exited event of {service} within {seconds}s:\n{string.Join('\n', _events)}");
                Monitor.Wait(_events, left);
            }
        }
    }

    public JsonElement Next(string service, string evt, double seconds = 10) =>
        Next(e => Str(e, "service") == service && Str(e, "event") == evt, seconds);

    /// <summary>
    /// Waits until each of <paramref name="wanted"/> has happened after the previous match, in whichever order: for
    /// events that nothing orders (two services starting, two checks passing), where <see cref="Next(Func{JsonElement, bool}, double)"/>
    /// one after the other would skip the one that came first. Returns them in the order asked; the next match is
    /// looked for after the last of them.
    /// </summary>
    public JsonElement[] NextAll(double seconds, params Func<JsonElement, bool>[] wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        lock (_events)
        {
            while (true)
            {
                var found = new JsonElement?[wanted.Length];
                var last = -1;
                for (var k = _cursor; k < _events.Count; k++)
                    for (var w = 0; w < wanted.Length; w++)
                        if (found[w] is null && wanted[w](_events[k])) { found[w] = _events[k]; last = k; break; }
                if (Array.TrueForAll(found, f => f is not null))
                {
                    _cursor = last + 1;
                    return [.. found.Select(f => f!.Value)];
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"not every event waited for came within {seconds}s. Events so " +
                        $"far:\n{string.Join('\n', _events)}\nstderr:\n{Stderr}");
                Monitor.Wait(_events, left);
            }
        }
    }

    /// <summary><see cref="NextAll(double, Func{JsonElement, bool}[])"/> for (service, event) pairs, within 10 s.</summary>
    public JsonElement[] NextAll(params (string Service, string Event)[] wanted) => NextAll(10, wanted);

    public JsonElement[] NextAll(double seconds, params (string Service, string Event)[] wanted) =>
        NextAll(seconds, [.. wanted.Select(w => (Func<JsonElement, bool>)(e => Str(e, "service") == w.Service && Str(e,
            "event") == w.Event))]);

    /// <summary>Waits until the services' own output on stdout contains <paramref name="text"/> (a script saying it set its
    /// traps).</summary>
    public void WaitForStdout(string text, double seconds = 10)
    {
        var sw = Stopwatch.StartNew();
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (sw.Elapsed.TotalSeconds > seconds)
                throw new TimeoutException($"stdout never showed '{text}' within {seconds}s:\n{Stdout}\nstderr:\n{Stderr}");
            Thread.Sleep(5);
        }
    }

    public static string? Str(JsonElement e, string name) => e.TryGetProperty(name,
        out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public static int? Int(JsonElement e, string name) => e.TryGetProperty(name,
        out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    public void Signal(int signal) => Assert.Equal(0, kill(Pid, signal));

    public bool HasExited => _process.HasExited;

    public int WaitForExit(double seconds = 15)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds)))
            throw new TimeoutException($"tend did not exit within {seconds}s\n{Stderr}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Host pids of tend's descendants, with their /proc/PID/stat.</summary>
    public List<ProcStat> Descendants()
    {
        var all = ProcFs.Pids().Select(p => ProcFs.TryReadStat(p, out var s) ? s : default).Where(s => s.Pid != 0).ToList();
        var set = new HashSet<int> { Pid };
        var result = new List<ProcStat>();
        bool grew;
        do
        {
            grew = false;
            foreach (var s in all)
                if (!set.Contains(s.Pid) && set.Contains(s.Ppid)) { set.Add(s.Pid); result.Add(s); grew = true; }
        } while (grew);
        return result;
    }

    /// <summary>The host pid of the oldest live descendant called <paramref name="comm"/> (whose parent is not also called so).</summary>
    public int? Find(string comm)
    {
        var d = Descendants().Where(s => s.Comm == comm && s.State != 'Z').ToList();
        var pids = d.Select(s => s.Pid).ToHashSet();
        return d.Where(s => !pids.Contains(s.Ppid)).OrderBy(s => s.StartTime).Select(s => (int?)s.Pid).FirstOrDefault();
    }

    /// <summary>The pid of host process <paramref name="hostPid"/> in its own (innermost) PID namespace, as Tend's events give
    /// it.</summary>
    public static int NsPid(int hostPid) =>
        int.Parse(File.ReadLines($"/proc/{hostPid}/status").First(l => l.StartsWith("NSpid:", StringComparison.Ordinal)).Split('\t',
            StringSplitOptions.RemoveEmptyEntries)[^1]);

    /// <summary>Host pids of all live descendants called <paramref name="comm"/>.</summary>
    public HashSet<int> All(string comm) => Descendants().Where(s => s.Comm == comm && s.State != 'Z').Select(s => s.Pid).ToHashSet();

    /// <summary>Polls every millisecond until a live process called <paramref name="comm"/> other than <paramref name="not"/> exists;
    /// returns it and the time it took (<paramref name="seconds"/> is a timeout for a hang, not a bound on speed).</summary>
    public (int Pid, TimeSpan Elapsed) WaitForNew(string comm, int not, double seconds = 30) => WaitForNew(comm, new HashSet<int> { not },
        seconds);

    /// <summary>Polls every millisecond until a live process called <paramref name="comm"/> that is not in <paramref name="old"/>
    /// exists.</summary>
    public (int Pid, TimeSpan Elapsed) WaitForNew(string comm, IReadOnlySet<int> old, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            foreach (var p in All(comm)) if (!old.Contains(p)) return (p, sw.Elapsed);
            Thread.Sleep(1);
        }
        throw new TimeoutException($"no new '{comm}' within {seconds}s\n{Stderr}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            var descendants = _pid1 ? [] : Descendants();
            kill(Pid, Libc.SIGKILL);
            foreach (var d in descendants) kill(d.Pid, Libc.SIGKILL);
            if (_pid1) kill(_process.Id, Libc.SIGKILL);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(SocketPath)!, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [LibraryImport(Libc.Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
