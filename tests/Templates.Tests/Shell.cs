using System.Diagnostics;

namespace Tend.Templates.Tests;

internal static class Shell
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Framework.sln"))) dir = dir.Parent;
            return dir!.FullName;
        }
    }

    /// <summary>Runs a program to completion; returns its exit code and output (stdout + stderr).</summary>
    public static (int Code, string Output) Try(string dir, string file, params string[] args) => Try(dir, null, file, args);

    /// <summary>Runs a program to completion with extra environment variables.</summary>
    public static (int Code, string Output) Try(string dir, IReadOnlyDictionary<string, string>? environment, string file,
        params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} hung");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public static string Run(string dir, string file, params string[] args) => Run(dir, null, file, args);

    public static string Run(string dir, IReadOnlyDictionary<string, string>? environment, string file, params string[] args)
    {
        var (code, output) = Try(dir, environment, file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }

    /// <summary>Runs a program; returns its stdout alone (a file's text), asserting exit code 0.</summary>
    public static string Stdout(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"{file} {string.Join(' ', args)} hung");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}");
        return output;
    }

    /// <summary>Host pids of the live descendants of <paramref name="root"/> (the container's PID 1), with comm and cmdline.</summary>
    public static List<(int Pid, string Comm, string Cmdline)> Descendants(int root)
    {
        var all = new List<(int Pid, int Ppid, string Comm, char State)>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText($"{d}/stat");
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var f = stat[(close + 2)..].Split(' ');
                all.Add((pid, int.Parse(f[1]), comm, f[0][0]));
            }
            catch (IOException) { }
        }
        var set = new HashSet<int> { root };
        var result = new List<(int, string, string)>();
        bool grew;
        do
        {
            grew = false;
            foreach (var p in all)
                if (!set.Contains(p.Pid) && set.Contains(p.Ppid))
                {
                    set.Add(p.Pid);
                    grew = true;
                    if (p.State == 'Z') continue;
                    string cmdline;
                    try { cmdline = File.ReadAllText($"/proc/{p.Pid}/cmdline").Replace('\0',
                        ' ').Trim(); } catch (IOException) { cmdline = ""; }
                    result.Add((p.Pid, p.Comm, cmdline));
                }
        } while (grew);
        return result;
    }

    /// <summary>This assembly runs images and links no Tend code, so it names the one signal it sends itself.</summary>
    public const int SIGKILL = 9;

    [System.Runtime.InteropServices.DllImport("libc.so.6", SetLastError = true)]
    public static extern int kill(int pid, int sig);
}
