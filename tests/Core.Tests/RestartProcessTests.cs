using System.Diagnostics;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>A service that ends, with real processes and Tend as PID 1 of a real PID namespace: restarted within
/// milliseconds, backed off and failed when it crash-loops, retried when its program disappears.</summary>
public class RestartProcessTests
{
    [Fact]
    public void A_killed_foreground_service_is_back_within_milliseconds()
    {
        using var t = Start("sleep 1000");
        var started = t.Next("sleep", "started");
        var first = t.Find("sleep")!.Value;
        Assert.Equal(0, kill(first, Libc.SIGKILL));
        var (second, elapsed) = t.WaitForNew("sleep", first);
        var exited = t.Next("sleep", "exited");
        Assert.Equal("SIGKILL", Str(exited, "signal"));
        Assert.Equal(1, Int(t.Next("sleep", "started"), "restarts"));
        Assert.NotEqual(first, second);
        t.AssertRestartedAtOnce("sleep", elapsed);
        Assert.True(Int(started, "pid") > 1);
    }

    [Fact]
    public void A_crash_looping_service_backs_off_is_marked_failed_and_tend_stays_idle()
    {
        using var t = Start("sh -c 'exit 3'", "sleep 1000");
        var failed = t.Next("sh", "failed", 20);
        Assert.Contains("start limit", Str(failed, "message"));
        var delays = t.Events.Where(e => Str(e, "service") == "sh" && Str(e, "event") == "exited").Select(e => Int(e, "delayMs")).ToList();
        Assert.Equal([0, 100, 200, 400, 800], delays);
        // Near idle once it gave up: no CPU time spent over a second, and still answering signals.
        var before = CpuTicks(t.Pid);
        Thread.Sleep(1000); // measuring: the CPU time Tend spends over this second
        Assert.InRange(CpuTicks(t.Pid) - before, 0, 2);
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void A_program_that_disappears_after_the_start_is_retried_with_backoff_then_failed()
    {
        // Missing when Tend starts is a usage error (UsageErrorTests); gone later is a failed start like any other.
        var dir = Directory.CreateTempSubdirectory("tend-test-");
        try
        {
            var program = Path.Combine(dir.FullName, "worker");
            File.WriteAllText(program, "#!/bin/sh\nexec sleep 1000\n");
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var t = Start(program);
            t.Next("worker", "started");
            var sleep = WaitForSleep(t);
            File.Delete(program);
            var sw = Stopwatch.StartNew();
            Assert.Equal(0, kill(sleep, Libc.SIGKILL));
            t.Next("worker", "exited");
            var error = Str(t.Next("worker", "spawn-error"), "message");
            Assert.Contains($"'{program}' does not exist", error);
            t.Next("worker", "failed", 20);
            Assert.Equal(1, t.WaitForExit());
            var errors = t.Events.Where(e => Str(e, "service") == "worker" && Str(e, "event") == "spawn-error").ToList();
            Assert.True(errors.Count >= 3, $"only {errors.Count} attempts");
            Assert.All(errors, e => Assert.Equal(1, CountOf(Str(e, "message")!, program)));
            Assert.True(sw.Elapsed > TimeSpan.FromMilliseconds(700), "gave up before backing off"); // a lower bound: load cannot break it
        }
        finally { dir.Delete(true); }
    }

    private static int WaitForSleep(TendRun t)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (t.Find("sleep") is { } pid) return pid;
            Thread.Sleep(2);
        }
        throw new TimeoutException("the worker never exec'd sleep");
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length,
            StringComparison.Ordinal)) n++;
        return n;
    }

    private static long CpuTicks(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }
}
