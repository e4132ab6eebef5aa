using System.Diagnostics;
using System.Text.Json;
using Tend.Posix;
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
            Assert.True(File.Exists(f),
                $"{f} is missing: install the seed's daemons with `apt-get install -y apache2 openssh-server` (.ci/run does)");

        var dir = Directory.CreateTempSubdirectory("tend-seed-");
        try
        {
            var http = Loopback.FreePort();
            var ssh = Loopback.FreePort();
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

            t.NextAll(20, ("sshd", "started"), ("apache2", "daemonized"));
            Assert.StartsWith("HTTP/1.1 ", Loopback.Http(http));
            Assert.StartsWith("SSH-2.0-", Loopback.Banner(ssh));

            // 1. kill -9 of apache2's main process.
            Thread.Sleep(1100); // a healthy run, so the restart is immediate rather than backed off
            var main = t.Find("apache2")!.Value;
            var before = t.All("apache2");
            Assert.Equal(0, kill(main, Libc.SIGKILL));
            var exited = t.Next("apache2", "exited");
            Assert.Equal("SIGKILL", Str(exited, "signal"));
            AssertWithinASecond(exited, WaitForNewDaemon(t, before), "kill -9 of apache2");
            var back = t.Next("apache2", "daemonized");
            Assert.DoesNotContain(Int(back, "pid")!.Value, before);
            Assert.StartsWith("HTTP/1.1 ", Loopback.Http(http));

            // 2. `service apache2 stop`, run inside the container's namespaces as a person would with docker exec.
            Thread.Sleep(1100); // a healthy run, so this restart is immediate rather than backed off
            before = t.All("apache2");
            // Watch for the new daemon while the stop script still runs (it lingers in its own `sleep 1` loop).
            using var stop = Process.Start(new ProcessStartInfo("nsenter", ["-t", t.Pid.ToString(), "-p", "-m", "service", "apache2",
                "stop"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var seen = WaitForNewDaemon(t, before);
            Assert.True(stop.WaitForExit(20_000), "service apache2 stop hung");
            Assert.Equal(0, stop.ExitCode);
            var stopped = t.Next("apache2", "exited");
            Assert.Equal(0, Int(stopped, "exitCode"));
            AssertWithinASecond(stopped, seen, "service apache2 stop");
            t.Next("apache2", "daemonized");
            Assert.StartsWith("HTTP/1.1 ", Loopback.Http(http));

            // 3. kill -9 of sshd.
            var sshd = t.Find("sshd")!.Value;
            Assert.Equal(0, kill(sshd, Libc.SIGKILL));
            var (_, elapsed) = t.WaitForNew("sshd", sshd);
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"sshd came back after {elapsed.TotalMilliseconds} ms");
            Assert.StartsWith("SSH-2.0-", Loopback.Banner(ssh));

            t.Signal(Libc.SIGTERM);
            Assert.Equal(0, t.WaitForExit());
        }
        finally { dir.Delete(true); }
    }

    /// <summary>
    /// Polls (every millisecond) until a new /usr/sbin/apache2 that is not in <paramref name="old"/> runs; returns when
    /// it was first seen. "Undone" means the daemon itself runs again — Debian's init script may linger a second
    /// longer in its own `sleep 1` loop after apache is up; that is the launcher's business, not apache's availability.
    /// </summary>
    private static DateTime WaitForNewDaemon(TendRun t, IReadOnlySet<int> old)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var pid in t.All("apache2"))
            {
                if (old.Contains(pid)) continue;
                string cmdline;
                try { cmdline = File.ReadAllText($"/proc/{pid}/cmdline"); } catch (IOException) { continue; }
                if (cmdline.StartsWith("/usr/sbin/apache2\0", StringComparison.Ordinal)) return DateTime.UtcNow;
            }
            Thread.Sleep(1);
        }
        Assert.Fail("apache2 did not come back within 10 s");
        return default;
    }

    /// <summary>From the exit Tend reported to the moment the new daemon was seen.</summary>
    private static void AssertWithinASecond(JsonElement exited, DateTime seen, string what)
    {
        var ms = (seen - DateTime.Parse(Str(exited, "time")!).ToUniversalTime()).TotalMilliseconds;
        Assert.True(ms < 1000, $"{what} was undone after {ms} ms");
    }
}
