using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>Services declared through the public API (tests/TestHost), with real processes.</summary>
public class DeclaredServicesTests
{
    [Fact]
    public void One_shot_runs_first_dependents_start_in_order_and_stop_in_reverse()
    {
        using var t = Start([], scenario: "ordering");
        t.Next("web", "started", 20);
        string[] Order(string evt) => t.Events.Where(e => Str(e, "event") == evt && Str(e, "service") is not null).Select(e => Str(e,
            "service")!).ToArray();
        Assert.Equal(["migrate", "db", "app", "web"], Order("started"));
        Assert.Equal(["migrate"], Order("completed"));
        var completed = t.Events.First(e => Str(e, "event") == "completed");
        var db = t.Events.First(e => Str(e, "service") == "db" && Str(e, "event") == "started");
        Assert.True(DateTime.Parse(Str(db, "time")!) >= DateTime.Parse(Str(completed, "time")!));

        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.Equal(["web", "app", "db"], Order("stopped"));
    }

    [Fact]
    public void A_critical_service_that_fails_for_good_stops_everything_with_its_own_exit_code()
    {
        using var t = Start([], scenario: "critical");
        var failed = t.Next("db", "failed", 20);
        Assert.Equal(4, Int(failed, "exitCode"));
        t.Next("web", "stopped");
        Assert.Equal(4, t.WaitForExit());
        Assert.Contains("critical service failed: db", t.Stderr);
    }

    [Fact]
    public void A_process_already_running_is_adopted_and_its_death_is_seen_by_the_scan()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var name = "adopt" + Environment.ProcessId;
            var exe = Path.Combine(dir.FullName, name);
            File.CreateSymbolicLink(exe, "/bin/sleep");
            using var existing = Process.Start(exe, "1000");
            using var t = Start(["--adopt", "--scan-interval", "100ms", $"{exe} 1000"], pid1: false);
            var adopted = t.Next(name, "adopted");
            Assert.Equal(existing.Id, Int(adopted, "pid"));
            existing.Kill();
            existing.WaitForExit();
            var exited = t.Next(name, "exited");
            Assert.Null(Int(exited, "exitCode")); // not Tend's child: the status is unknown
            t.Next(name, "started");
            t.Signal(Libc.SIGTERM);
            Assert.Equal(0, t.WaitForExit());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Not_pid_1_tend_adopts_nothing_unless_asked_and_never_signals_a_process_it_did_not_start()
    {
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var name = "mine" + Environment.ProcessId;
            var exe = Path.Combine(dir.FullName, name);
            File.CreateSymbolicLink(exe, "/bin/sleep");
            // Someone else's process of the service's name, already running on the host.
            using var existing = Process.Start(exe, "1000");
            using var t = Start([$"{exe} 1000"], pid1: false);
            var started = t.Next(name, "started");
            Assert.NotEqual(existing.Id, Int(started, "pid"));
            Assert.DoesNotContain(t.Events, e => Str(e, "event") == "adopted");
            t.Signal(Libc.SIGTERM);
            Assert.Equal(0, t.WaitForExit());
            // Tend stopped its own process and left the other one alone.
            Assert.False(existing.HasExited, "tend signalled a process it did not start");
            Assert.Contains(t.Events, e => Str(e, "event") == "stopped" && Str(e, "service") == name);
            existing.Kill();
            existing.WaitForExit();
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_service_runs_as_its_user()
    {
        using var t = Start(["--log-prefix"], scenario: "user");
        t.Next("whoami", "completed");
        Assert.Equal(0, t.WaitForExit());
        var nobody = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "nobody");
        Assert.Contains($"whoami | {nobody[2]}\n", t.Stdout);
        Assert.Contains($"whoami | {nobody[3]}\n", t.Stdout);
    }

    [Fact]
    public void An_unknown_user_stops_tend_before_anything_starts()
    {
        using var t = Start([], scenario: "bad-user");
        Assert.Equal(2, t.WaitForExit());
        Assert.Contains("service 'whoami': user 'no-such-user-here' does not exist in /etc/passwd", t.Stderr);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "started");
    }
}
