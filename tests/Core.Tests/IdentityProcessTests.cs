using System.Diagnostics;
using Tend.Posix;
using Tend.Tests.Daemons;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>
/// Issue 23's inputs with real processes, Tend as PID 1 of a fresh PID namespace: an application's helper is not taken
/// for it, and a process group whose id a stranger took after the service's helper ended is never signalled, even
/// when the pid is handed out again on purpose (/proc/sys/kernel/ns_last_pid).
/// </summary>
public class IdentityProcessTests
{
    private sealed class Dir : IDisposable
    {
        public DirectoryInfo Info { get; } = Directory.CreateTempSubdirectory("tend-identity-");

        public string Path(string name) => System.IO.Path.Combine(Info.FullName, name);

        /// <summary>An executable script called <paramref name="name"/>.</summary>
        public string Script(string name, string body)
        {
            File.WriteAllText(Path(name), "#!/bin/sh\n" + body + "\n");
            File.SetUnixFileMode(Path(name), (UnixFileMode)0b111_101_101);
            return Path(name);
        }

        /// <summary>A program called <paramref name="name"/> that records its pid (in its namespace), then sleeps (a link to
        /// sleep).</summary>
        public string Sleeper(string name)
        {
            Directory.CreateDirectory(Path("bin"));
            File.CreateSymbolicLink(Path("bin/" + name), "/bin/sleep");
            return Script(name, $"echo $$ > {Path(name)}.pid\nexec {Path("bin/" + name)} 1000");
        }

        /// <summary>A process that notes every SIGTERM it gets in NAME.term and records its pid in NAME.pid.</summary>
        public string Stranger(string name) => Script(name,
            $"trap 'echo term >> {Path(name)}.term' TERM\necho $$ > {Path(name)}.pid\nwhile :; do sleep 0.05; done");

        public int? Pid(string name) => File.Exists(Path(name) + ".pid")
            && File.ReadAllText(Path(name) + ".pid").Trim() is { Length: > 0 } t ? int.Parse(t) : null;

        public bool GotTerm(string name) => File.Exists(Path(name) + ".term");

        public void Dispose() => Info.Delete(true);
    }

    private static int WaitPid(Dir d, string name)
    {
        int? pid = null;
        Assert.True(Proc.Until(() => (pid = d.Pid(name)) is not null, TimeSpan.FromSeconds(10), 5), $"{name} did not start");
        return pid!.Value;
    }

    [Theory]
    [InlineData("setsid {0} &")]
    [InlineData("setsid -f {0};")]
    public void Input_2_the_application_not_its_helper_in_a_session_of_its_own_is_the_service(string startHelper)
    {
        using var d = new Dir();
        var helper = d.Stranger("helperd");
        var app = d.Sleeper("appd");
        using var recording = new FixtureRecording(startHelper.Contains("-f") ? "app-helper-reparented" : "app-helper-child");
        // The application starts its helper in a session of its own in its first second, then becomes the application.
        using var trace = new LiveTrace(recording);
        using var t = Start([$"sh -c '{string.Format(startHelper, helper)} exec {app}'"], env: trace.Env);
        var appPid = WaitPid(d, "appd");
        var helperPid = WaitPid(d, "helperd");
        // Once a look saw the helper (and the application): the helper is seen, and is not taken for the application.
        Assert.True(Proc.Until(() => t.Ctl("status", "--json").Out.Contains($"\"pid\":{appPid}"), TimeSpan.FromSeconds(30), 20),
            t.Ctl("status").Out + t.Stderr);
        trace.WaitForLookSeeing("sh", helperPid);
        trace.WaitForLookSeeing("sh", appPid);
        var status = t.Ctl("status", "--json").Out;
        Assert.Contains($"\"pid\":{appPid}", status);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "daemonized");

        // kill -9 of the application is noticed: it starts again, and its helper (part of its start-up) was stopped.
        var host = t.Find("appd")!.Value;
        Assert.Equal(0, kill(host, Libc.SIGKILL));
        t.WaitForNew("appd", host);
        Assert.True(Proc.Until(() => d.GotTerm("helperd"), TimeSpan.FromSeconds(5), 10),
            "the helper of the killed application was not stopped\n" + t.Stderr);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    /// <summary>
    /// Makes a stranger with the namespace pid <paramref name="pid"/>, leading its own process group: ns_last_pid is set
    /// just below it inside Tend's PID namespace, then a subshell forks (and calls setsid). Retries while something else
    /// in the namespace took the pid first.
    /// </summary>
    private static void MakeStranger(TendRun t, Dir d, string name, int pid)
    {
        var stranger = d.Stranger(name);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            File.Delete(d.Path(name) + ".pid");
            var (code, output) = Proc.InNamespace(t.Pid,
                $"echo {pid - 1} > /proc/sys/kernel/ns_last_pid; setsid {stranger} </dev/null >/dev/null 2>&1 &");
            Assert.True(code == 0, $"could not set ns_last_pid: {output}");
            var got = WaitPid(d, name);
            if (got == pid) return;
            Proc.InNamespace(t.Pid, $"kill -9 -- -{got} 2>/dev/null; kill -9 {got} 2>/dev/null; true");
        }
        Assert.Fail($"pid {pid} could not be handed to a stranger (it got {d.Pid(name)})");
    }

    [Fact]
    public void Input_5_a_group_id_reused_by_a_stranger_gets_nothing_from_a_cleanup_or_a_stop()
    {
        using var d = new Dir();
        var helper = d.Sleeper("grpd");
        var app = d.Sleeper("appd");
        using var recording = new FixtureRecording("reused-group-id");
        // The service detaches a helper (a group of its own) while starting up: Tend records that group.
        using var trace = new LiveTrace(recording);
        using var t = Start([$"sh -c 'setsid -f {helper} </dev/null >/dev/null 2>&1; exec {app}'"], env: trace.Env);
        var group = WaitPid(d, "grpd");
        WaitPid(d, "appd");
        Assert.True(Proc.Until(() => t.Ctl("status").Code == 0, TimeSpan.FromSeconds(30), 20));
        trace.WaitForLookSeeing("sh", group); // a look records the helper's group

        // The helper ends; its pid (and group id) goes to a stranger.
        var helperHost = t.Find("grpd")!.Value;
        Assert.Equal(0, kill(helperHost, Libc.SIGKILL));
        Assert.True(Proc.Until(() => t.Find("grpd") is null, TimeSpan.FromSeconds(5), 5));
        MakeStranger(t, d, "strangerA", group);

        // kill -9 of the application: the cleanup before the restart must not reach the stranger.
        var appHost = t.Find("appd")!.Value;
        Assert.Equal(0, kill(appHost, Libc.SIGKILL));
        t.WaitForNew("appd", appHost);
        Assert.False(d.GotTerm("strangerA"), "the cleanup after kill -9 signalled a stranger that took a dead group's id\n" + t.Stderr);

        // The new run detaches its helper again; it ends; a stranger takes its id; `tend stop` must not reach it.
        Assert.True(Proc.Until(() => d.Pid("grpd") is { } p && p != group && t.Find("grpd") is not null, TimeSpan.FromSeconds(10), 5));
        var group2 = d.Pid("grpd")!.Value;
        trace.WaitForLookSeeing("sh", group2); // a look at the new run records its helper's group
        Assert.Equal(0, kill(t.Find("grpd")!.Value, Libc.SIGKILL));
        Assert.True(Proc.Until(() => t.Find("grpd") is null, TimeSpan.FromSeconds(5), 5));
        MakeStranger(t, d, "strangerB", group2);
        var (code, _, err) = t.Ctl("stop", "sh");
        Assert.True(code == 0, err);
        t.Next("sh", "stopped");
        Assert.False(d.GotTerm("strangerB"), "tend stop signalled a stranger that took a dead group's id\n" + t.Stderr);
        Assert.False(d.GotTerm("strangerA"));

        // Every signal Tend sent is in its log, and none names the strangers' groups.
        var sent = t.Events.Where(e => Str(e, "message")?.Contains("sent SIG", StringComparison.Ordinal) == true).Select(e => Str(e,
            "message")!).ToList();
        Assert.NotEmpty(sent);
        Assert.DoesNotContain(sent,
            m => m.Contains($"process group {group}") || m.Contains($"process group {group2}") || m.Contains($"pid {group},")
            || m.Contains($"pid {group2}"));
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_launcher_lingering_beside_its_daemon_is_heard_when_it_ends(int code)
    {
        // Like Debian's apache2 script: the daemon (called like the service) detaches at once; the script waits a second
        // and exits. An exit 0 leaves the daemon the service; a failure ends the run, which starts again.
        using var d = new Dir();
        Directory.CreateDirectory(d.Path("bin"));
        File.CreateSymbolicLink(d.Path("bin/lingerd"), "/bin/sleep");
        var launcher = d.Script("lingerd", $"setsid -f {d.Path("bin/lingerd")} 1000 </dev/null >/dev/null 2>&1\nsleep 1\nexit {code}");
        using var t = Start(launcher);
        var handOver = t.Next(e => Str(e, "event") == "daemonized");
        var daemon = Int(handOver, "pid")!.Value;
        if (code == 0)
        {
            // The launcher's end is heard (the main process is chosen again among what it left: the same daemon).
            Assert.True(Proc.Until(() => t.Find("sleep") is null, TimeSpan.FromSeconds(5), 10), "the launcher did not end");
            Assert.True(Proc.Until(() => t.Ctl("status", "--json").Out.Contains($"\"pid\":{daemon}"), TimeSpan.FromSeconds(2), 20));
            Assert.DoesNotContain(t.Events, e => Str(e, "event") is "exited" or "failed");
            Assert.Single(t.Events, e => Str(e, "event") == "started");
        }
        else
        {
            var ended = t.Next(e => Str(e, "event") == "exited");
            Assert.Contains($"its launcher (pid", Str(ended, "message"));
            Assert.Equal(1, Int(ended, "exitCode"));
            t.Next(e => Str(e, "event") == "started" && Int(e, "restarts") == 1);
        }
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void A_helper_running_the_applications_own_program_in_a_session_of_its_own_is_stopped_with_it()
    {
        // Both run /bin/sleep (links of other names): the helper is a session the application started with its own
        // executable, like an sshd connection — part of its start-up, so stopped with it, never left behind twice.
        using var d = new Dir();
        var helper = d.Sleeper("helperd");
        var app = d.Sleeper("appd");
        using var trace = new LiveTrace();
        using var t = Start([$"sh -c 'setsid {helper} & exec {app}'"], env: trace.Env);
        var helperPid = WaitPid(d, "helperd");
        WaitPid(d, "appd");
        trace.WaitForLookSeeing("sh", helperPid); // a look sees the helper
        var first = t.Find("helperd")!.Value;
        var host = t.Find("appd")!.Value;
        Assert.Equal(0, kill(host, Libc.SIGKILL));
        t.WaitForNew("appd", host);
        Assert.True(Proc.Until(() => !t.All("helperd").Contains(first), TimeSpan.FromSeconds(5), 10),
            "the helper of the killed application was left running\n" + t.Stderr);
        Assert.True(Proc.Until(() => t.All("helperd").Count == 1, TimeSpan.FromSeconds(5), 10),
            "not exactly one helper after the restart\n" + t.Stderr);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }
}
