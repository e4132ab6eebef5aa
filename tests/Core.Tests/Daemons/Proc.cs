using System.Diagnostics;
using System.Runtime.InteropServices;
using Tend.Posix;

namespace Tend.Tests.Daemons;

/// <summary>One process as the host sees it (host pids), with what the daemon tests need to tell processes apart.</summary>
internal sealed record ProcInfo(int Pid, int Ppid, int Pgid, int Sid, char State, string Comm, ulong StartTime, int NsPid, string Args,
    string Exe)
{
    public override string ToString() => $"{Pid}(ns {NsPid}) ppid {Ppid} pgid {Pgid} sid {Sid} {Comm} [{Args}]";
}

/// <summary>
/// A small /proc reader of the test's own (independent of Tend's internals, which are being rewritten), plus running
/// commands inside a namespace through nsenter, with a deadline; every process started here is ended by its pid.
/// </summary>
internal static partial class Proc
{
    public static ProcInfo? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var comm = stat[(open + 1)..close];
            var f = stat[(close + 2)..].Split(' ');
            var nsPid = pid;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("NSpid:", StringComparison.Ordinal)) { nsPid = int.Parse(line.Split('\t',
                    ' ').Where(s => s.Length > 0).Last()); break; }
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            string exe;
            try { exe = new FileInfo($"/proc/{pid}/exe").LinkTarget
                ?? ""; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { exe = ""; }
            return new ProcInfo(pid, int.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), f[0][0], comm, ulong.Parse(f[19]), nsPid, args,
                exe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) {
            return null; }
    }

    public static List<ProcInfo> All() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .Select(n => Read(int.Parse(n!))).Where(p => p is not null).Select(p => p!).ToList();

    /// <summary>Live (not zombie) descendants of <paramref name="root"/>, not including it.</summary>
    public static List<ProcInfo> Descendants(int root)
    {
        var all = All();
        var set = new HashSet<int> { root };
        var result = new List<ProcInfo>();
        bool grew;
        do
        {
            grew = false;
            foreach (var p in all)
                if (!set.Contains(p.Pid) && set.Contains(p.Ppid)) { set.Add(p.Pid); result.Add(p); grew = true; }
        } while (grew);
        return result.Where(p => p.State != 'Z').ToList();
    }

    /// <summary>Alive and the same process (pid not reused: same start time).</summary>
    public static bool Alive(ProcInfo p) => Read(p.Pid) is { State: not 'Z' } now && now.StartTime == p.StartTime;

    public static string Tree(int root) =>
        string.Join('\n', Descendants(root).OrderBy(p => p.StartTime).ThenBy(p => p.Pid).Select(p => "  " + p));

    /// <summary>
    /// Runs <paramref name="bash"/> inside the namespaces of <paramref name="target"/> (host pid): its PID, mount and
    /// network namespace, as `docker exec` would. Returns the exit code (-1 on timeout: then it was killed) and output.
    /// </summary>
    public static (int Code, string Output) InNamespace(int target, string bash, double seconds = 10)
    {
        var psi = new ProcessStartInfo("nsenter", ["--target", target.ToString(), "--pid", "--mount", "--net", "--", "bash", "-c", bash])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            KillTree(p.Id);
            p.WaitForExit(2000);
            return (-1, "");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result + err.Result);
    }

    /// <summary>Starts <paramref name="bash"/> inside the namespaces of <paramref name="target"/> without waiting.</summary>
    public static Process StartInNamespace(int target, string bash)
    {
        var psi = new ProcessStartInfo("nsenter", ["--target", target.ToString(), "--pid", "--mount", "--net", "--", "bash", "-c", bash])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }

    /// <summary>SIGKILL to <paramref name="pid"/> and its descendants, each by pid.</summary>
    public static void KillTree(int pid)
    {
        var d = Descendants(pid);
        kill(pid, Libc.SIGKILL);
        foreach (var c in d) kill(c.Pid, Libc.SIGKILL);
    }

    /// <summary>Polls <paramref name="condition"/> every <paramref name="everyMs"/> ms until it holds or the deadline passes.</summary>
    public static bool Until(Func<bool> condition, TimeSpan within, int everyMs = 10)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (condition()) return true;
            if (sw.Elapsed > within) return false;
            Thread.Sleep(everyMs);
        }
    }

    [LibraryImport(Libc.Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
