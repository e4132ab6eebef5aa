using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tend.Tests.Daemons;
using Xunit.Abstractions;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Notify;

/// <summary>
/// The real Debian 12 daemons that speak sd_notify, in the foreground as their systemd units start them, each under Tend
/// as PID 1 of a namespace of its own (daemon-ns.sh: private loopback, /run, data): ready the moment they say READY=1 —
/// their own client answers at the first try — with what they say in STATUS= in <c>tend status</c>.
/// </summary>
[Trait("Category", "Daemons")]
public sealed class NotifyDaemonTests(ITestOutputHelper output)
{
    /// <summary>A daemon in its notify mode: its service name under Tend, the setup its unit's RuntimeDirectory= would do, its command, the
    /// probe of its listening socket, whether it sends STATUS=.</summary>
    public sealed record NotifyDaemon(string Name, string Service, string Setup, string Command, string Listening, string Probe,
        string Answer, bool SendsStatus);

    private static string PgBin => Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v,
        "bin")).Where(b => File.Exists(Path.Combine(b, "postgres"))).Order().Last();
    private static string PgVersion => Path.GetFileName(Path.GetDirectoryName(PgBin)!);
    private static string PhpFpm => Directory.GetFiles("/usr/sbin", "php-fpm*").Order().Last();

    private static string Tcp(int port) => $"(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null";

    public static readonly Dictionary<string, Func<NotifyDaemon>> All = new()
    {
        ["postgresql"] = () => new("postgresql", "setpriv", "install -d -o postgres -g postgres -m 2775 /run/postgresql",
            $"setpriv --reuid=postgres --regid=postgres --init-groups -- {PgBin}/postgres -D /var/lib/postgresql/{PgVersion}/main -c " +
                $"config_file=/etc/postgresql/{PgVersion}/main/postgresql.conf",
            Tcp(5432), "pg_isready -h 127.0.0.1 -p 5432 -t 1", "accepting connections", false),
        ["mariadb"] = () => new("mariadb", "mariadbd", "install -d -o mysql -g mysql /run/mysqld", "/usr/sbin/mariadbd --user=mysql",
            Tcp(3306), "timeout 1 mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock -uroot --connect-timeout=1 ping",
                "mysqld is alive", true),
        ["redis"] = () => new("redis", "redis-server", "true", "redis-server --supervised systemd --port 6379 --save ''",
            Tcp(6379), "redis-cli -p 6379 ping", "PONG", true),
        ["php-fpm"] = () => new("php-fpm", Path.GetFileName(PhpFpm), "install -d /run/php", $"{PhpFpm} -F",
            "[ -S /run/php/php*-fpm.sock ]", "ls /run/php/", "fpm.sock", true),
        ["ssh"] = () => new("ssh", "sshd", "install -d -m 0755 /run/sshd", "/usr/sbin/sshd -D",
            Tcp(22), "exec 3<>/dev/tcp/127.0.0.1/22; timeout 1 head -c 8 <&3", "SSH-2.0-", false),
    };

    public static IEnumerable<object[]> Names => All.Keys.Select(k => new object[] { k });

    [Theory, MemberData(nameof(Names))]
    public void Ready_the_moment_it_says_so(string name)
    {
        var d = All[name]();
        using var r = DaemonRun.StartWith(output, d.Setup, null, "--ready", $"{d.Service}=notify", d.Command);
        // Inside the namespace, a tight loop notes when the daemon's socket first accepts (ms since the epoch).
        using var prober = Proc.StartInNamespace(r.T.Pid, $"until {d.Listening}; do :; done; date +%s%3N");
        var ready = r.T.Next(d.Service, "ready", 60);
        // READY=1 is a promise: the daemon's own client answers at the first try, with no retry.
        var (code, answer) = Proc.InNamespace(r.T.Pid, d.Probe, 10);
        Assert.True(answer.Contains(d.Answer, StringComparison.Ordinal),
            $"{d.Name} said READY=1 but its client got ({code}): {answer}\n{r.T.Stderr}");
        Assert.True(prober.WaitForExit(10_000), "the socket never accepted");
        var accepted = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(prober.StandardOutput.ReadToEnd().Trim(),
            CultureInfo.InvariantCulture));
        var readyAt = DateTimeOffset.Parse(Str(ready, "time")!, CultureInfo.InvariantCulture);
        r.Log($"{d.Name}: {Str(ready, "message")}; READY=1 seen {(readyAt - accepted).TotalMilliseconds:F0} ms after its socket first " +
            $"accepted");
        var s = r.Status().Single(x => Str(x, "name") == d.Service);
        Assert.True(s.GetProperty("ready").GetBoolean());
        Assert.Equal("notify", Str(s, "check"));
        if (d.SendsStatus)
        {
            Assert.False(string.IsNullOrEmpty(Str(s, "notifyStatus")), $"{d.Name} sends STATUS=, not shown in tend status");
            r.Log($"{d.Name}: STATUS={Str(s, "notifyStatus")}");
        }
        r.AssertNothingFailed();
    }

    /// <summary>Stopped by Tend, a daemon says STOPPING=1 (postgres, mariadb, redis), and the stop is clean (exit 0).</summary>
    [Theory, InlineData("postgresql"), InlineData("mariadb"), InlineData("redis")]
    public void Stopping_is_heard_and_the_stop_is_clean(string name)
    {
        var d = All[name]();
        using var r = DaemonRun.StartWith(output, d.Setup, null, "--ready", $"{d.Service}=notify", d.Command);
        r.T.Next(d.Service, "ready", 60);
        r.T.Signal(Posix.Libc.SIGTERM);
        var stopping = r.T.Next(e => Str(e, "service") == d.Service && Str(e, "message") == "stopping (STOPPING=1)", 30);
        Assert.NotNull(Str(stopping, "time"));
        var stopped = r.T.Next(d.Service, "stopped", 30);
        // mariadbd asks for more time (EXTEND_TIMEOUT_USEC) only while a buffer pool dump takes long — not always here (a fresh
        // instance stops in ~15 ms): that the extension is granted is NotifyProcessTests.A_stop_extended_by_the_service_is_granted.
        Assert.Equal(0, Int(stopped, "exitCode"));
        Assert.Equal(0, r.T.WaitForExit(30));
    }
}
