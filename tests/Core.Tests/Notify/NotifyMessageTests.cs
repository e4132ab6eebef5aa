using System.Text;
using Tend.Arguments;
using Tend.Notify;

namespace Tend.Tests.Notify;

/// <summary>The sd_notify parser (sd_notify(3)) and the notify/watchdog declarations: pure, in milliseconds.</summary>
[Trait("Category", "Unit")]
public sealed class NotifyMessageTests
{
    private static NotifyMessage Parse(string text) => NotifyMessage.Parse(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Every_variable_tend_acts_on_is_read()
    {
        var m =
            Parse("READY=1\nSTATUS=Taking your SQL requests now...\nMAINPID=4242\nWATCHDOG=1\nWATCHDOG_USEC=20000000\n" +
                "EXTEND_TIMEOUT_USEC=30000000\nERRNO=2\nRELOADING=1\nSTOPPING=1\n");
        Assert.True(m.Ready);
        Assert.True(m.Reloading);
        Assert.True(m.Stopping);
        Assert.Equal("Taking your SQL requests now...", m.Status);
        Assert.Equal(4242, m.MainPid);
        Assert.Equal(WatchdogRequest.Ping, m.Watchdog);
        Assert.Equal(20_000_000UL, m.WatchdogUsec);
        Assert.Equal(30_000_000UL, m.ExtendTimeoutUsec);
        Assert.Equal(2, m.Errno);
        Assert.Equal(0, m.Ignored);
    }

    /// <summary>WATCHDOG_USEC=0 is taken: it turns the run's watchdog off (sd_notify(3)), it is no malformed value.</summary>
    [Fact]
    public void WATCHDOG_USEC_0_is_taken()
    {
        var m = Parse("WATCHDOG_USEC=0");
        Assert.Equal(0, m.Ignored);
        Assert.Equal(0UL, m.WatchdogUsec);
    }

    [Fact]
    public void Watchdog_trigger_and_unknown_names_as_systemd_takes_them()
    {
        var m = Parse("WATCHDOG=trigger\nFDSTORE=1\nBARRIER=1\nX_MY_DAEMON=whatever");
        Assert.Equal(WatchdogRequest.Trigger, m.Watchdog);
        Assert.Equal(0, m.Ignored); // names Tend does not know are ignored, not refused
        Assert.True(m.IsEmpty is false);
        Assert.True(Parse("FDSTORE=1").IsEmpty);
    }

    [Theory]
    [InlineData("READY=yes")]
    [InlineData("READY=")]
    [InlineData("MAINPID=-1")]
    [InlineData("MAINPID=0")]
    [InlineData("MAINPID=99999999999")]
    [InlineData("MAINPID= 12")]
    [InlineData("WATCHDOG=2")]
    [InlineData("WATCHDOG_USEC=1e6")]
    [InlineData("ERRNO=-5")]
    [InlineData("no equals sign")]
    [InlineData("=1")]
    public void A_value_a_name_does_not_take_is_left_out_and_counted(string line)
    {
        var m = Parse(line + "\nSTATUS=ok");
        Assert.Equal(1, m.Ignored);
        Assert.Equal("ok", m.Status); // the rest of the message still counts
        Assert.False(m.Ready);
        Assert.Null(m.MainPid);
        Assert.Equal(WatchdogRequest.None, m.Watchdog);
        Assert.Null(m.WatchdogUsec);
    }

    [Fact]
    public void A_status_is_one_printable_line_of_bounded_length()
    {
        Assert.Equal("a b c", Parse("STATUS=a\tb\rc").Status);
        Assert.Equal(NotifyMessage.MaxStatusChars, Parse("STATUS=" + new string('x', 5000)).Status!.Length);
        var invalid = NotifyMessage.Parse([.. "STATUS=caf"u8, 0xC3]);
        Assert.Equal("caf\uFFFD", invalid.Status);
    }

    [Fact]
    public void A_later_assignment_wins_and_empty_lines_are_nothing()
    {
        var m = Parse("\n\nSTATUS=one\n\nSTATUS=two\n");
        Assert.Equal("two", m.Status);
        Assert.Equal(0, m.Ignored);
    }

    /// <summary>Fuzz: any bytes parse (never throw), 10,000 random datagrams of up to 64 KiB, in a bounded time per byte.</summary>
    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(29);
        var alphabet = "READY=1\nSTATUSMAINPIDWATCHDOG_USECtrigger0123456789=\n\0\xff"u8.ToArray();
        long bytes = 0;
        for (var n = 0; n < 10_000; n++)
        {
            var length = n % 1000 == 0 ? 65536 : random.Next(0, 300);
            var data = new byte[length];
            if (n % 2 == 0) random.NextBytes(data);
            else for (var k = 0; k < length; k++) data[k] = alphabet[random.Next(alphabet.Length)];
            var m = NotifyMessage.Parse(data);
            bytes += length;
            Assert.True(m.Status is null || m.Status.Length <= NotifyMessage.MaxStatusChars);
            Assert.True(m.MainPid is null or > 0);
        }
        Assert.True(bytes > 600_000);
    }

    /// <summary>A message made of known assignments reads back as written (a small property: any subset, any order).</summary>
    [Fact]
    public void Written_messages_read_back()
    {
        var random = new Random(7);
        for (var n = 0; n < 2000; n++)
        {
            var pid = random.Next(1, int.MaxValue);
            var usec = (ulong)random.NextInt64(1, long.MaxValue / 10);
            var parts = new List<string>();
            var ready = random.Next(2) == 0;
            if (ready) parts.Add("READY=1");
            if (random.Next(2) == 0) parts.Add($"MAINPID={pid}");
            if (random.Next(2) == 0) parts.Add($"WATCHDOG_USEC={usec}");
            parts = [.. parts.OrderBy(_ => random.Next())];
            var m = Parse(string.Join('\n', parts));
            Assert.Equal(ready, m.Ready);
            Assert.Equal(parts.Any(p => p.StartsWith("MAINPID")) ? pid : null, m.MainPid);
            Assert.Equal(parts.Any(p => p.StartsWith("WATCHDOG_USEC")) ? usec : null, m.WatchdogUsec);
            Assert.Equal(0, m.Ignored);
            Assert.Equal(m, Parse(m.ToString().Replace(' ', '\n')));
        }
    }

    [Fact]
    public void A_64_KiB_datagram_parses_whole()
    {
        // (The socket refuses a datagram over NotifyMessage.MaxBytes before parsing; the parser itself takes any length.)
        var big = Encoding.ASCII.GetBytes("STATUS=" + new string('y', 65536) + "\nREADY=1\n" + string.Concat(Enumerable.Repeat("X=1\n",
            4000)) + "MAINPID=7");
        var m = NotifyMessage.Parse(big);
        Assert.True(m.Ready);
        Assert.Equal(7, m.MainPid);
        Assert.Equal(new string('y', NotifyMessage.MaxStatusChars), m.Status);
    }

    [Fact]
    public void Notify_and_watchdog_are_declared_and_parsed()
    {
        Assert.Equal(CheckKind.Notify, Readiness.Notify.Check.Kind);
        Assert.Equal("notify", Readiness.Parse("notify").ToString());
        var w = Liveness.Parse("watchdog:30s");
        Assert.Equal(CheckKind.Watchdog, w.Check.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), w.Interval);
        Assert.Equal(1, w.Failures);
        Assert.Equal("watchdog:30s", w.ToString());
        Assert.Equal(Liveness.Watchdog(TimeSpan.FromMilliseconds(500)).ToString(), Liveness.Parse("watchdog:500ms").ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => Liveness.Watchdog(TimeSpan.Zero));
    }

    [Theory]
    [InlineData("--alive", "web=watchdog:", "'' in 'watchdog:' is not a watchdog deadline")]
    [InlineData("--alive", "web=watchdog:soon", "'soon' in 'watchdog:soon' is not a watchdog deadline")]
    [InlineData("--alive", "web=notify", "'notify' is a readiness check")]
    [InlineData("--ready", "web=notify:1", "is not a check")]
    [InlineData("--ready", "web=watchdog:30s", "is not a check")]
    public void Bad_notify_arguments_name_the_problem(string option, string value, string expected)
    {
        var e = Assert.Throws<UsageException>(() => HostOptions.Parse([option, value, "web"]));
        Assert.Contains(expected, e.Message);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void The_alive_options_leave_a_watchdog_deadline_as_given()
    {
        var o = HostOptions.Parse(["--alive", "web=watchdog:2s", "--alive-interval", "9s", "--alive-failures", "4", "--ready", "web=notify",
            "web"]);
        var alive = Assert.Single(o.Alive).Liveness;
        Assert.Equal(TimeSpan.FromSeconds(2), alive.Interval);
        Assert.Equal(1, alive.Failures);
        Assert.Equal(CheckKind.Notify, Assert.Single(o.Ready).Readiness.Check.Kind);
    }
}

/// <summary>EXTEND_TIMEOUT_USEC= while stopping: the reconciler's kill waits until the extension (pure, fake clock).</summary>
[Trait("Category", "Unit")]
public sealed class NotifyStopExtensionTests
{
    [Fact]
    public void The_kill_waits_for_the_extension_and_comes_after_it()
    {
        var spec = new ServiceSpec("db", new Command("/usr/sbin/mariadbd")) { StopTimeout = TimeSpan.FromSeconds(1) };
        var table = new ServiceTable([spec]);
        var desired = Supervision.DesiredState.AllUp(1) with { ShuttingDown = true };
        var process = new Supervision.TrackedProcess(100, 1, 100, IsChild: true, Launched: true, Sid: 100);
        var r = Supervision.Reconciler.OnStarted(new Supervision.ServiceRuntime(), process, 0) with
        {
            Phase = Supervision.ServicePhase.Stopping, StopSentAt = 0, StopExtendedUntil = 5000,
        };
        bool Kills(Supervision.ServiceRuntime x, long now) => Supervision.Reconciler.Reconcile(table, desired, [x], now,
            DateTimeOffset.UnixEpoch).Actions
            .Any(a => a.Kind == Supervision.ActionKind.Signal && a.Signal == Posix.Libc.SIGKILL);
        Assert.False(Kills(r, 2000)); // past its 1 s stop timeout, within the 5 s it asked for
        Assert.True(Kills(r, 5000));
        Assert.True(Kills(r with { StopExtendedUntil = 0 }, 1000)); // without the extension: at its stop timeout
    }
}
