using System.Diagnostics;
using System.Text.Json;
using Tend.Posix;

namespace Tend.Tests.Export;

/// <summary>
/// A pod with <c>shareProcessNamespace: true</c>: the pause container's <c>/pause</c> is PID 1 and Tend is not. Here a
/// fresh PID namespace whose PID 1 is a tiny init (a shell that only waits for Tend), with Tend under it as
/// <c>--orchestrated</c>: as a child subreaper it still gets its services' orphans — it follows a daemon a launcher
/// left, reaps the orphans that die, and ends with the daemon's code when it dies.
/// </summary>
public class SharedPidNamespaceTests
{
    [Fact]
    public async Task Under_another_init_Tend_follows_a_daemon_and_reaps_the_orphans()
    {
        // One launcher leaves a daemon; another service leaves an orphan that dies after a second. Both are
        // re-parented to Tend, not to PID 1.
        const string launcher = "sh -c 'sleep 300 & exit 0'";
        const string orphaning = "sh -c '(sleep 1 &); exec sleep 301'";
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true,
            RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", "\"$0\" \"$@\" & wait $!",
            TendRun.Binary,
                     "--orchestrated", "--no-control", "--log-format", "json", launcher, orphaning])
            psi.ArgumentList.Add(a);
        using var unshare = Process.Start(psi)!;
        unshare.StandardInput.Close();
        var stderr = unshare.StandardError.ReadToEndAsync();
        try
        {
            var init = WaitFor(() => Children(unshare.Id).FirstOrDefault(), "the namespace's init");
            // The init forks, then the child execs Tend: wait for the exec.
            var name = Path.GetFileName(TendRun.Binary);
            var tend = WaitFor(() => Children(init).FirstOrDefault(p => Comm(p) == name[..Math.Min(15, name.Length)]),
                "Tend under the init");
            // The daemon: Tend's child by re-parenting (its launcher exited), not the init's.
            var daemon = WaitFor(() => Children(tend).FirstOrDefault(p => Comm(p) == "sleep" && Cmdline(p) == "sleep 300"),
                "the daemon as Tend's child");
            // The orphan is Tend's child too, and once it died Tend reaped it: nothing in the namespace is a zombie.
            var orphan = WaitFor(() => Children(tend).FirstOrDefault(p => Cmdline(p) == "sleep 1"), "the orphan as Tend's child");
            WaitFor(() => !Directory.Exists($"/proc/{orphan}") && Descendants(init).All(p => State(p) != 'Z') ? 1 : 0, "the orphan reaped");
            Assert.DoesNotContain(Children(init), p => p != tend);

            // The daemon dies: Tend sees it (it is its child now) and, orchestrated, ends with its code (128+9).
            _ = TendRun.kill(daemon, Libc.SIGKILL);
            Assert.True(unshare.WaitForExit(TimeSpan.FromSeconds(20)), "Tend did not end after its daemon died");
            var err = await stderr;
            Assert.True(unshare.ExitCode == 137, $"exit code {unshare.ExitCode}:\n{err}");
            var events = err.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Contains(events, e => TendRun.Str(e, "service") == "sh" && TendRun.Str(e, "event") == "daemonized");
            Assert.Equal(2, events.Count(e => TendRun.Str(e, "event") == "started"));
        }
        finally
        {
            if (!unshare.HasExited) _ = TendRun.kill(unshare.Id, Libc.SIGKILL); // --kill-child ends the namespace with it
            unshare.WaitForExit();
        }
    }

    private static int WaitFor(Func<int> find, string what)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (find() is var found and not 0) return found;
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no {what} within 15 s");
    }

    private static List<int> Children(int pid)
    {
        var result = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            try { result.AddRange(File.ReadAllText($"{task}/children").Split(' ',
                StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)); }
            catch (IOException) { } // the thread ended
        return result;
    }

    private static List<int> Descendants(int pid)
    {
        var all = new List<int>();
        var next = new Queue<int>([pid]);
        while (next.TryDequeue(out var p))
            foreach (var c in Children(p)) { all.Add(c); next.Enqueue(c); }
        return all;
    }

    private static string Comm(int pid) => Read($"/proc/{pid}/comm").Trim();

    private static string Cmdline(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    private static char State(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
    }

    private static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
    }
}
