using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Tend.Tests.Notify;

/// <summary>A fact that needs podman: skipped, saying why, only when there is none.</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    private static readonly bool HasPodman = File.Exists("/usr/bin/podman");

    public PodmanFactAttribute()
    {
        if (!HasPodman) Skip = "needs podman (4.3 or later): apt-get install podman";
    }
}

/// <summary>
/// <c>podman run --sdnotify=container</c> (what a systemd unit of Type=notify runs): podman gives the container a
/// NOTIFY_SOCKET and passes its READY=1 on to podman's own NOTIFY_SOCKET — here a socket the test holds, standing for
/// systemd. Tend is PID 1 of the container (the repository's build, framework-dependent, on the .NET runtime image),
/// supervising a service that says READY=1 after 2 s: Tend's READY=1 comes only then.
/// </summary>
[Trait("Category", "Containers")]
public sealed class NotifyPodmanTests(ITestOutputHelper output)
{
    [PodmanFact]
    public void Podmans_peer_hears_READY_only_once_tends_services_are_ready()
    {
        var dir = Directory.CreateTempSubdirectory("tend-sdnotify-").FullName;
        var name = "tend-notify-" + Guid.NewGuid().ToString("N")[..12];
        var run = Environment.GetEnvironmentVariable("TEND_TEST_RUN") is { Length: > 0 } r ? r : "manual";
        try
        {
            using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            peer.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, "notify.sock")));
            peer.ReceiveTimeout = 60_000;
            var root = TendRun.RepoRoot;
            var config = TendRun.BuildConfiguration;
            var psi = new ProcessStartInfo("podman", [
                "run", "-d", "--sdnotify=container", "--name", name, "--label", $"tend.test.run={run}",
                "-v", $"{root}/samples/AdHoc/bin/{config}/net10.0:/tend:ro", "-v", $"{root}/tests/TestHost/bin/{config}/net10.0:/host:ro",
                "mcr.microsoft.com/dotnet/runtime:10.0",
                "/tend/Tend.AdHoc", "--ready", "Tend.TestHost=notify", "/host/Tend.TestHost notify 2000"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["NOTIFY_SOCKET"] = Path.Combine(dir, "notify.sock");
            var sw = Stopwatch.StartNew();
            using (var p = Process.Start(psi)!)
            {
                var err = p.StandardError.ReadToEndAsync();
                _ = p.StandardOutput.ReadToEnd();
                Assert.True(p.WaitForExit(60_000), "podman run did not return");
                Assert.True(p.ExitCode == 0, err.Result);
            }
            var buffer = new byte[4096];
            var heard = new List<string>();
            TimeSpan readyAt;
            while (true)
            {
                var text = Encoding.UTF8.GetString(buffer, 0, peer.Receive(buffer));
                heard.Add(text);
                output.WriteLine($"[{sw.ElapsedMilliseconds} ms] {text.Replace('\n', ' ')}");
                if (text.Contains("READY=1")) { readyAt = sw.Elapsed; break; }
            }
            // The service waits 2 s before its READY=1; Tend's comes after it, through podman.
            Assert.True(readyAt >= TimeSpan.FromSeconds(2),
                $"READY=1 after {readyAt.TotalMilliseconds} ms: before Tend's service was ready");
            var logs = Shell("podman", "logs", name);
            Assert.Contains("ready (notify)", logs);
        }
        finally
        {
            Shell("podman", "rm", "-f", "-t", "2", name);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Shell(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit(60_000);
        return o + err.Result;
    }
}
