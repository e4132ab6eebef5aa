using System.Diagnostics;

namespace Tend.Tests;

/// <summary>
/// Resource limits: a descriptor shortage at spawn is a spawn error retried with backoff, never a failure for good,
/// and the service comes back once descriptors are free.
/// </summary>
public sealed class LimitsTests
{
    private static void Prlimit(int pid, string nofile)
    {
        using var p = Process.Start("prlimit", ["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--nofile=" + nofile])!;
        Assert.True(p.WaitForExit(10_000) && p.ExitCode == 0, "prlimit failed");
    }

    [Fact]
    public void A_spawn_under_EMFILE_is_retried_past_the_start_limit_and_recovers_once_descriptors_are_free()
    {
        using var run = TendRun.Start(["--log-prefix"], scenario: "shortage");
        var first = run.Next("svc", "started");
        // Tend may open no descriptor more: the next run's pipes cannot be made.
        var open = Directory.GetFiles($"/proc/{run.Pid}/fd").Length;
        Prlimit(run.Pid, $"{open}:"); // the soft limit only: raising a hard limit needs CAP_SYS_RESOURCE
        var svc = run.Find("sleep")!.Value;
        Assert.Equal(0, TendRun.kill(svc, Posix.Libc.SIGKILL));
        // Start limit 1: three failures in a row would fail it for good, were they counted.
        for (var i = 0; i < 3; i++)
        {
            var error = run.Next("svc", "spawn-error");
            Assert.Contains("Too many open files", TendRun.Str(error, "message"));
            Assert.Contains("retried with backoff", TendRun.Str(error, "message"));
        }
        Prlimit(run.Pid, "4096:");
        var again = run.Next("svc", "started");
        Assert.NotEqual(TendRun.Int(first, "pid"), TendRun.Int(again, "pid"));
        Assert.DoesNotContain(run.Events, e => TendRun.Str(e, "event") == "failed");
    }
}
