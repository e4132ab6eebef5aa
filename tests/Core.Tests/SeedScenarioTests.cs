using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>
/// The seed's scenario word for word — <c>tend "/usr/sbin/sshd" "/etc/init.d/apache2 start"</c> — with the real
/// Debian daemons (`.ci/run` installs apache2 and openssh-server). Inside the test's own PID and mount namespace,
/// /run is a fresh tmpfs and the daemons' port settings are bind-mounted so both listen on 127.0.0.1 only.
/// </summary>
public class SeedScenarioTests
{
    [Fact]
    public void Sshd_and_apache2_run_and_every_stop_by_hand_is_undone_within_a_second()
    {
        foreach (var f in new[] { "/usr/sbin/sshd", "/usr/sbin/apache2", "/etc/init.d/apache2" })
            Assert.True(File.Exists(f), $"{f} is missing: install the seed's daemons with `apt-get install -y apache2 openssh-server` (.ci/run does)");

        var dir = Directory.CreateTempSubdirectory("tend-seed-");
        try
        {
            var http = FreePort();
            var ssh = FreePort();
            File.WriteAllText(Path.Combine(dir.FullName, "ports.conf"), $"Listen 127.0.0.1:{http}\nServerName localhost\n");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sshd.d"));
            File.WriteAllText(Path.Combine(dir.FullName, "sshd.d/test.conf"), $"ListenAddress 127.0.0.1\nPort {ssh}\n");
            var setup = $"""
                mount -t tmpfs tmpfs /run
                mkdir -p /run/sshd /run/lock
                mount --bind {dir.FullName}/ports.conf /etc/apache2/ports.conf
                mount --bind {dir.FullName}/sshd.d /etc/ssh/sshd_config.d
                """;
            using var t = Start(["/usr/sbin/sshd", "/etc/init.d/apache2 start"], setup);

            t.Next("sshd", "started");
            t.Next("apache2", "daemonized", 20);
            Assert.StartsWith("HTTP/1.1 ", HttpStatusLine(http));
            Assert.StartsWith("SSH-2.0-", Banner(ssh));

            // 1. kill -9 of apache2's main process.
            Thread.Sleep(1100); // a healthy run, so the restart is immediate rather than backed off
            var main = t.Find("apache2")!.Value;
            var before = t.All("apache2");
            Assert.Equal(0, kill(main, 9));
            var exited = t.Next("apache2", "exited");
            Assert.Equal("SIGKILL", Str(exited, "signal"));
            AssertBackWithinASecond(t, exited, before, "kill -9 of apache2");
            var back = t.Next("apache2", "daemonized");
            Assert.DoesNotContain(Int(back, "pid")!.Value, before);
            Assert.StartsWith("HTTP/1.1 ", HttpStatusLine(http));

            // 2. `service apache2 stop`, run inside the container's namespaces as a person would with docker exec.
            Thread.Sleep(1100); // a healthy run, so this restart is immediate rather than backed off
            before = t.All("apache2");
            var stop = Process.Start(new ProcessStartInfo("nsenter", ["-t", t.Pid.ToString(), "-p", "-m", "service", "apache2", "stop"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            Assert.True(stop.WaitForExit(20_000), "service apache2 stop hung");
            Assert.Equal(0, stop.ExitCode);
            var stopped = t.Next("apache2", "exited");
            Assert.Equal(0, Int(stopped, "exitCode"));
            AssertBackWithinASecond(t, stopped, before, "service apache2 stop");
            t.Next("apache2", "daemonized");
            Assert.StartsWith("HTTP/1.1 ", HttpStatusLine(http));

            // 3. kill -9 of sshd.
            var sshd = t.Find("sshd")!.Value;
            Assert.Equal(0, kill(sshd, 9));
            var (_, elapsed) = t.WaitForNew("sshd", sshd);
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"sshd came back after {elapsed.TotalMilliseconds} ms");
            Assert.StartsWith("SSH-2.0-", Banner(ssh));

            t.Signal(15);
            Assert.Equal(0, t.WaitForExit());
        }
        finally { dir.Delete(true); }
    }

    /// <summary>
    /// "Undone" means the daemon itself runs again: a new /usr/sbin/apache2, not in <paramref name="old"/>, within a
    /// second of the exit Tend saw. (Debian's init script may linger a second longer in its own `sleep 1` loop
    /// after apache is up; that is the launcher's business, not apache's availability.)
    /// </summary>
    [Fact]
    public void The_declared_sample_takes_a_typed_port_from_the_command_line_and_the_environment()
    {
        Assert.True(File.Exists("/usr/sbin/sshd"), "install openssh-server and apache2 (.ci/run does)");
        var dir = Directory.CreateTempSubdirectory("tend-apachessh-");
        try
        {
            var http = FreePort();
            var ssh = FreePort();
            File.WriteAllText(Path.Combine(dir.FullName, "ports.conf"), $"Listen 127.0.0.1:{http}\nServerName localhost\n");
            var setup = $"""
                mount -t tmpfs tmpfs /run
                mkdir -p /run/sshd /run/lock
                mount --bind {dir.FullName}/ports.conf /etc/apache2/ports.conf
                export TEND_SSHD_LISTEN_ADDRESS=127.0.0.1
                """;
            using var t = Start(["--sshd-port", ssh.ToString()], setup, binary: ApacheSshBinary);
            t.Next("apache2", "daemonized", 20);
            var started = t.Next("sshd", "started");
            Assert.StartsWith("SSH-2.0-", Banner(ssh));
            Assert.StartsWith("HTTP/1.1 ", HttpStatusLine(http));
            // sshd depends on apache2: it started only once apache2 ran.
            Assert.True(DateTime.Parse(Str(started, "time")!) >= DateTime.Parse(Str(t.Events.First(e => Str(e, "service") == "apache2" && Str(e, "event") == "daemonized"), "time")!));
            t.Signal(15);
            Assert.Equal(0, t.WaitForExit());
            Assert.Equal(["sshd", "apache2"], t.Events.Where(e => Str(e, "event") == "stopped").Select(e => Str(e, "service")));
        }
        finally { dir.Delete(true); }
    }

    private static void AssertBackWithinASecond(TendRun t, JsonElement exited, IReadOnlySet<int> old, string what)
    {
        var since = DateTime.Parse(Str(exited, "time")!).ToUniversalTime();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var pid in t.All("apache2"))
            {
                if (old.Contains(pid)) continue;
                string cmdline;
                try { cmdline = File.ReadAllText($"/proc/{pid}/cmdline"); } catch (IOException) { continue; }
                if (!cmdline.StartsWith("/usr/sbin/apache2\0", StringComparison.Ordinal)) continue;
                var ms = (DateTime.UtcNow - since).TotalMilliseconds;
                Assert.True(ms < 1000, $"{what} was undone after {ms} ms");
                return;
            }
            Thread.Sleep(1);
        }
        Assert.Fail($"{what} was not undone within 5 s");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string HttpStatusLine(int port) => Exchange(port, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");

    private static string Banner(int port) => Exchange(port, null);

    private static string Exchange(int port, string? request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                c.ReceiveTimeout = 3000;
                var s = c.GetStream();
                if (request is not null) s.Write(Encoding.ASCII.GetBytes(request));
                var buf = new byte[256];
                var n = s.Read(buf);
                return Encoding.ASCII.GetString(buf, 0, n);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
