using System.Diagnostics;
using System.Text.Json;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>
/// Liveness and HTTP checks with real processes: Tend as PID 1 of a PID and network namespace of its own (its loopback
/// is private, so the fixed port 8080 is nobody else's), and an HTTP server (the test host's "http" mode) whose answers
/// each test steers through a file.
/// </summary>
public sealed class LivenessProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tend-alive-").FullName;

    private string StatusFile => Path.Combine(_dir, "status");

    private static string TestHost => Path.Combine(RepoRoot, "tests/TestHost/bin", BuildConfiguration, "net10.0/Tend.TestHost");

    private string Server => $"{TestHost} http 8080 {StatusFile}";

    private static TendRun StartInNet(params string[] args) => Start(args, setup: "ip link set lo up", net: true);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>How many requests the test host's HTTP server has answered with <paramref name="status"/> (its stdout says each).</summary>
    private static int Answers(TendRun t, string status) =>
        t.Stdout.Split('\n').Count(l => l.EndsWith($"http: answered {status}", StringComparison.Ordinal));

    /// <summary>Waits until the server has answered <paramref name="count"/> requests with <paramref name="status"/> in all; the
    /// timeout catches a hang.</summary>
    private static void WaitForAnswers(TendRun t, string status, int count, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (Answers(t, status) < count)
        {
            if (sw.Elapsed.TotalSeconds > seconds)
                throw new TimeoutException($"the server answered {status} {Answers(t, status)} times, not {count}, within {seconds} " +
                    $"s\n{t.Stderr}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void A_service_that_stops_itself_is_restarted_after_about_failures_times_interval()
    {
        using var t = StartInNet("--ready", "Tend.TestHost=http:8080/health", "--ready-interval", "50ms",
            "--alive", "Tend.TestHost=http:8080/health", "--alive-interval", "300ms", "--alive-timeout", "300ms", "--alive-failures", "2",
                Server);
        t.Next("Tend.TestHost", "ready"); // it answers; liveness checks begin only now
        File.WriteAllText(StatusFile, "stop"); // the next request makes it SIGSTOP itself, once
        var failed = t.Next("Tend.TestHost", "check-failed");
        Assert.Equal("no answer within 300ms", Str(failed, "reason"));
        var unhealthy = t.Next("Tend.TestHost", "unhealthy");
        Assert.Equal("no answer within 300ms", Str(unhealthy, "reason"));
        // The stop signal is followed by SIGCONT: the stopped server gets its SIGTERM at once, not SIGKILL 5 s later.
        var exited = t.Next(e => Str(e, "service") == "Tend.TestHost" && Str(e, "event") is "exited" or "killed");
        Assert.Equal("exited", Str(exited, "event"));
        var again = t.Next("Tend.TestHost", "started");
        Assert.Equal(1, Int(again, "restarts"));
    }

    [Fact]
    public void A_server_that_answers_500_is_restarted_with_the_status_as_reason()
    {
        using var t = StartInNet("--ready", "Tend.TestHost=tcp:8080", "--alive", "Tend.TestHost=http://127.0.0.1:8080/health",
            "--alive-interval", "200ms", "--alive-failures", "3", Server);
        t.Next("Tend.TestHost", "ready");
        File.WriteAllText(StatusFile, "500");
        var failures = Enumerable.Range(0, 2).Select(_ => t.Next("Tend.TestHost", "check-failed")).ToList();
        Assert.All(failures, f => Assert.Equal("HTTP 500", Str(f, "reason")));
        var unhealthy = t.Next("Tend.TestHost", "unhealthy");
        Assert.Equal("HTTP 500", Str(unhealthy, "reason"));
        File.WriteAllText(StatusFile, "200");
        Assert.Equal(1, Int(t.Next("Tend.TestHost", "started"), "restarts"));
    }

    [Fact]
    public void Two_failures_below_the_threshold_then_a_pass_restart_nothing()
    {
        File.WriteAllText(StatusFile, "503*2"); // two answers 503, then 200
        using var t = StartInNet("--ready", "Tend.TestHost=tcp:8080", "--alive", "Tend.TestHost=http:8080", "--alive-interval", "200ms",
            "--alive-failures", "3", Server);
        t.Next("Tend.TestHost", "ready");
        Assert.Equal("HTTP 503", Str(t.Next("Tend.TestHost", "check-failed"), "reason"));
        Assert.Equal("HTTP 503", Str(t.Next("Tend.TestHost", "check-failed"), "reason"));
        var healthy = t.Next("Tend.TestHost", "healthy");
        Assert.Equal("HTTP 503", Str(healthy, "reason"));
        WaitForAnswers(t, "200", 5 + Answers(t, "200")); // five more checks, all passing
        Assert.DoesNotContain(t.Events, e => Str(e, "event") is "unhealthy" or "exited");
        var status = JsonDocument.Parse(t.Ctl("status", "--json").Out).RootElement.GetProperty("services")[0];
        Assert.Equal(("healthy", 0), (status.GetProperty("health").GetString(), status.GetProperty("restarts").GetInt32()));
    }

    [Fact]
    public void A_service_that_is_never_healthy_fails_after_its_start_limit_and_tend_health_says_so()
    {
        File.WriteAllText(StatusFile, "500");
        using var t = StartInNet("--alive", "Tend.TestHost=http:8080", "--alive-interval", "200ms", "--alive-failures", "2", Server,
            "sleep 1000");
        var failed = t.Next("Tend.TestHost", "failed", seconds: 40);
        Assert.StartsWith("never healthy: restarted 5 times in a row", Str(failed, "message")!.Split("giving up: ")[^1]);
        Assert.Equal(5, t.Events.Count(e => Str(e, "service") == "Tend.TestHost" && Str(e, "event") == "unhealthy") - 1);
        var (code, output, _) = t.Ctl("health");
        Assert.Equal(1, code);
        Assert.Contains("Tend.TestHost is failed", output);
        Assert.False(t.HasExited); // sleep still runs: a service that is not critical does not end the container
    }

    [Fact]
    public void Readiness_over_http_gates_a_dependent_until_the_server_answers_2xx()
    {
        File.WriteAllText(StatusFile, "503");
        using var t = Start([], setup: "ip link set lo up", net: true, scenario: $"http-ready:{StatusFile}");
        t.Next("server", "started");
        WaitForAnswers(t, "503", 5); // five checks answered 503
        Assert.DoesNotContain(t.Events, e => Str(e, "service") == "client");
        Assert.Equal(1, t.Ctl("wait", "server", "--timeout", "200ms").Code);
        File.WriteAllText(StatusFile, "200");
        var ready = t.Next("server", "ready");
        Assert.Contains("http://127.0.0.1:8080/ready", Str(ready, "message"));
        t.Next("client", "started");
    }
}
