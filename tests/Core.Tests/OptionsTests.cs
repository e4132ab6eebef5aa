using Tend.Arguments;
using Tend.Logging;

namespace Tend.Tests;

[Trait("Category", "Unit")]
public class OptionsTests
{
    [Fact]
    public void Options_and_command_lines_mix_and_dashdash_ends_options()
    {
        var o = HostOptions.Parse(["--log-prefix", "/usr/sbin/sshd", "--stop-timeout=2s", "--log-format", "json", "--", "--weird name",
            "x"]);
        Assert.True(o.Supervisor.LogPrefix);
        Assert.Equal(LogFormat.Json, o.Supervisor.LogFormat);
        Assert.Equal(TimeSpan.FromSeconds(2), o.StopTimeout);
        Assert.Equal(["/usr/sbin/sshd", "--weird name", "x"], o.CommandLines);
    }

    [Theory]
    [InlineData(new[] { "--log-prefx" }, "unknown option '--log-prefx'; did you mean '--log-prefix'?")]
    [InlineData(new[] { "--stop-timeout" },
        "option '--stop-timeout' needs a value: give DURATION after the option, or as --stop-timeout=DURATION")]
    [InlineData(new[] { "--stop-timeout", "--log-prefix" }, "option '--stop-timeout' needs a value")]
    [InlineData(new[] { "--stop-timeout", "soon" }, "option '--stop-timeout' got 'soon': expected a duration such as 500ms")]
    [InlineData(new[] { "--scan-interval", "0s" }, "more than zero")]
    [InlineData(new[] { "--restart", "sometimes" }, "expected always, on-failure or never")]
    [InlineData(new[] { "--log-format", "xml" }, "expected text or json")]
    [InlineData(new[] { "--critical=maybe" }, "option '--critical' got 'maybe': expected true or false (also yes/no, on/off, 1/0)")]
    [InlineData(new[] { "--critical", "--critical" }, "given twice")]
    [InlineData(new[] { "" }, "argument 1 is empty")]
    [InlineData(new[] { "sleep 1", "  " }, "argument 2 is blank")]
    [InlineData(new[] { "--ready", "web" }, "option '--ready' got 'web': expected NAME=CHECK, such as web=tcp:8080")]
    [InlineData(new[] { "--ready", "web=ftp:80" },
        "'ftp:80' is not a check: expected tcp:PORT, tcp:ADDRESS:PORT, http:PORT[/PATH], http://ADDRESS:PORT[/PATH], file:PATH, " +
            "cmd:COMMAND LINE, log:REGEX or notify")]
    [InlineData(new[] { "--alive", "web=http:80/a b" },
        "option '--alive' for 'web': '/a b' in 'http:80/a b' is not an HTTP path: it may hold no space or control character (write a " +
            "space as %20)")]
    [InlineData(new[] { "--alive-failures", "0" }, "option '--alive-failures' got '0': expected a whole number of at least 1, such as 3")]
    [InlineData(new[] { "--alive", "web=tcp:1", "--alive", "web=tcp:2" }, "option '--alive' gives service 'web' two checks: give one")]
    [InlineData(new[] { "--ready", "web=tcp:99999" }, "'99999' in 'tcp:99999' is not a TCP port")]
    [InlineData(new[] { "--ready", "web=tcp:example.org:80" }, "'example.org' in 'tcp:example.org:80' is not an IP address")]
    [InlineData(new[] { "--ready", "web=cmd:'x" }, "unbalanced single quote")]
    [InlineData(new[] { "--ready", "a=tcp:1", "--ready", "a=tcp:2" }, "gives service 'a' two checks")]
    [InlineData(new[] { "--control-socket", "/run/" }, "expected the path of a socket file")]
    [InlineData(new[] { "echo 'oops" }, "argument 1: unbalanced single quote")]
    public void Bad_input_names_the_problem(string[] args, string message)
    {
        var e = Assert.Throws<UsageException>(() => HostOptions.Parse(args));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Ready_checks_apply_to_the_named_services_with_the_given_interval_and_timeout()
    {
        var o = HostOptions.Parse(["sleep 1", "nc -l 8080", "--ready", "nc=tcp:[::1]:8080", "--ready=sleep=cmd:test -e /run/x",
            "--ready-interval", "50ms", "--ready-timeout", "2s"]);
        var services = TendHost.WithChecks(TendHost.AdHoc(o, []).ToList(), o.Ready, o.Alive);
        Assert.Equal("cmd:test -e /run/x", services[0].Ready!.ToString());
        Assert.Equal("tcp:[::1]:8080", services[1].Ready!.ToString());
        Assert.All(services, s => Assert.Equal((TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2)), (s.Ready!.Interval,
            s.Ready.Timeout)));
        var e = Assert.Throws<UsageException>(() => TendHost.WithChecks(TendHost.AdHoc(o, []).ToList(), [("web", Readiness.File("/x"))],
            []));
        Assert.Equal("option '--ready' names 'web', which is not a service here; the services are: sleep, nc", e.Message);
    }

    [Fact]
    public void Ad_hoc_services_are_named_after_the_basename_and_made_unique()
    {
        var o = HostOptions.Parse(["--restart", "on-failure", "/usr/sbin/sshd", "/etc/init.d/apache2 start", "sleep 1", "sleep 2"]);
        var services = TendHost.AdHoc(o, []).ToList();
        Assert.Equal(["sshd", "apache2", "sleep", "sleep-2"], services.Select(s => s.Name));
        Assert.All(services, s => Assert.Equal(Restart.OnFailure, s.Restart));
        Assert.Equal("apache2", services[1].EffectiveMatchName);
    }

    [Fact]
    public void Command_lines_wait_for_the_declared_one_shot_tasks_without_a_schedule()
    {
        var o = HostOptions.Parse(["/usr/sbin/sshd", "bash"]);
        ServiceSpec keys = new("keys", new Command("/usr/bin/ssh-keygen", "-A")) { OneShot = true };
        ServiceSpec report = new("report", new Command("/bin/true")) { Schedule = Schedule.Parse("@daily") };
        ServiceSpec web = new("web", new Command("/bin/web")) { DependsOn = ["keys"] };
        var declared = new List<ServiceSpec> { keys, report, web };
        var services = TendHost.AfterSetUp([.. declared, .. TendHost.AdHoc(o, declared)], declared.Count);
        Assert.Equal([[], [], ["keys"], ["keys"], ["keys"]], services.Select(s => s.DependsOn.ToArray()));
        _ = new ServiceTable(services); // a valid table: no unknown name, no cycle
        var alone = TendHost.AfterSetUp([.. TendHost.AdHoc(o, [])], 0);
        Assert.All(alone, s => Assert.Empty(s.DependsOn));
    }

    [Fact]
    public void The_flag_list_shared_with_the_generator_matches_the_options() =>
        Assert.Equal(GlobalFlags.Names.Order(), HostOptions.Options.Select(o => o.Name).Order());

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1500)]
    public void Durations_parse(string text, int ms)
    {
        Assert.True(Duration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), d);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5 sec")]
    [InlineData("-1s")]
    [InlineData("")]
    public void Bad_durations_do_not_parse(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("term", 15)]
    [InlineData("QUIT", 3)]
    [InlineData("9", 9)]
    public void Signal_names_parse(string text, int number)
    {
        Assert.True(Signals.TryParse(text, out var n));
        Assert.Equal(number, n);
        Assert.False(Signals.TryParse("SIGNOPE", out _));
    }

    [Theory]
    [InlineData("http:8080", "http://127.0.0.1:8080/")]
    [InlineData("http:8080/healthz", "http://127.0.0.1:8080/healthz")]
    [InlineData("http://[::1]:9000/x?y=1#fragment", "http://[::1]:9000/x?y=1")]
    [InlineData("http://localhost/ready", "http://127.0.0.1:80/ready")]
    public void Http_checks_parse_to_the_request_they_send(string text, string shown) =>
        Assert.Equal(shown, Liveness.Parse(text).ToString());
}
