using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;

namespace Tend.Generators.Tests;

/// <summary>
/// A program that declares its endpoint with <c>[assembly: HttpEndpoint("127.0.0.1:PORT")]</c>, compiled with the real
/// generator and run as a real process (<c>dotnet UserApp.dll</c>, Tend not PID 1): the declared address serves
/// <c>/healthz</c> and <c>/metrics</c>, <c>--no-http</c> turns it off, <c>--http</c> moves it. Ports are ones the kernel
/// just gave out on 127.0.0.1 (bound and released), so parallel runs do not meet.
/// </summary>
public sealed class DeclaredHttpEndpointRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tend-declared-http-").FullName;
    private readonly int _declared = FreePort();

    public DeclaredHttpEndpointRunTests()
    {
        var source = $$"""
            using Tend;
            [assembly: Tend.HttpEndpoint("127.0.0.1:{{_declared}}")]
            [Service("sleeper")] public partial class Sleeper { public Command Command => new("/bin/sleep", "1000"); }
            public static class Program { public static int Main(string[] args) => TendApp.Run(args); }
            """;
        var (result, output, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(diagnostics);
        GeneratorHarness.AssertGeneratedCodeIsClean(result, output, diagnostics);
        var emit = output.WithOptions(output.Options.WithOutputKind(OutputKind.ConsoleApplication)).Emit(Path.Combine(_dir, "UserApp.dll"));
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        // Tend and what it references beside the program, which runs on the shared framework of this test.
        var bin = Path.GetDirectoryName(typeof(Command).Assembly.Location)!;
        foreach (var dll in new[] { "Tend.dll", "Cronos.dll" }) File.Copy(Path.Combine(bin, dll), Path.Combine(_dir, dll));
        var version = $"{Environment.Version.Major}.{Environment.Version.Minor}";
        File.WriteAllText(Path.Combine(_dir, "UserApp.runtimeconfig.json"), JsonSerializer.Serialize(new
        {
            runtimeOptions = new { tfm = "net" + version, framework = new { name = "Microsoft.NETCore.App", version = version + ".0" } },
        }));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_declared_address_serves_healthz_and_metrics()
    {
        using var tend = DeclaredApp.Start(_dir);
        Assert.Equal($"127.0.0.1:{_declared}", tend.Serving());
        tend.WaitForEvent("sleeper", "started");
        Assert.Equal(new[] { _declared }, tend.ListeningPorts());
        WaitFor(() => Get(_declared, "/healthz").Status == 200, "/healthz on the declared port did not answer 200");
        Assert.Equal(200, Get(_declared, "/healthz/sleeper?level=alive").Status);
        var (status, body) = Get(_declared, "/metrics");
        Assert.Equal(200, status);
        Assert.Contains("tend_service_up{service=\"sleeper\"} 1\n", body);
        Assert.Contains("tend_service_log_buffer_capacity_bytes{service=\"sleeper\"} 65536\n", body);
    }

    [Fact]
    public void No_http_turns_the_declared_endpoint_off()
    {
        using var tend = DeclaredApp.Start(_dir, "--no-http");
        // The endpoint opens before the first service starts: once it started, an endpoint would be listening.
        tend.WaitForEvent("sleeper", "started");
        Assert.Null(tend.Serving(wait: false));
        Assert.Empty(tend.ListeningPorts());
    }

    [Fact]
    public void Http_overrides_the_declared_address()
    {
        var other = FreePort();
        using var tend = DeclaredApp.Start(_dir, "--http", $"127.0.0.1:{other}");
        Assert.Equal($"127.0.0.1:{other}", tend.Serving());
        tend.WaitForEvent("sleeper", "started");
        WaitFor(() => Get(other, "/healthz").Status == 200, "/healthz on the --http port did not answer 200");
        Assert.Contains("tend_service_up{service=\"sleeper\"} 1\n", Get(other, "/metrics").Body);
        Assert.Equal(new[] { other }, tend.ListeningPorts()); // not the declared port as well
    }

    /// <summary>The declared address taken by another socket: Tend ends before anything starts (exit 2), in one line that names
    /// the declaration, the address, the reason and the way out — never a run without the endpoint its probes need.</summary>
    [Fact]
    public void A_declared_address_in_use_ends_tend_at_start()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, _declared));
        taken.Listen();
        using var tend = DeclaredApp.Start(_dir);
        var (code, text) = tend.Exit(30);
        Assert.Equal(2, code);
        Assert.Contains($"tend: error: the HTTP endpoint declared with [assembly: HttpEndpoint]: cannot listen on 127.0.0.1:{_declared}: " +
            "Address already in use; give '--http' another ADDRESS:PORT, or '--no-http' to run without the endpoint", text);
        Assert.DoesNotContain("\"started\"", text);
    }

    /// <summary>A port the kernel gives out on 127.0.0.1 now, released for the test to use.</summary>
    private static int FreePort()
    {
        using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)l.LocalEndPoint!).Port;
    }

    private static void WaitFor(Func<bool> condition, string what, double seconds = 20)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"{what} within {seconds}s");
            Thread.Sleep(20);
        }
    }

    /// <summary>One GET over a fresh connection (the endpoint closes each after its answer): the status and the body.</summary>
    private static (int Status, string Body) Get(int port, string target)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        s.Connect(IPAddress.Loopback, port);
        s.Send(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        var all = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = s.Receive(buffer)) > 0) all.Write(buffer, 0, n);
        var text = Encoding.UTF8.GetString(all.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (int.Parse(text.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture),
            end < 0 ? "" : text[(end + 4)..]);
    }

    /// <summary>
    /// The compiled program run as <c>dotnet UserApp.dll ARGS --no-control --log-format json</c>, its JSON lines read from
    /// stderr. Dispose asks it to stop (SIGTERM: it stops its service and exits), then kills it and what it started by pid.
    /// </summary>
    private sealed class DeclaredApp : IDisposable
    {
        private readonly Process _process;
        private readonly BlockingCollection<JsonElement> _lines = [];
        private readonly List<JsonElement> _seen = [];
        private readonly ConcurrentQueue<string> _stderr = new();

        private DeclaredApp(Process process) => _process = process;

        public static DeclaredApp Start(string dir, params string[] args)
        {
            // The host of the runtime this test runs on: DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/ is the runtime's folder.
            var dotnet = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "../../..",
                "dotnet"));
            var psi = new ProcessStartInfo(dotnet) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir };
            foreach (var a in (string[])[Path.Combine(dir, "UserApp.dll"), .. args, "--no-control", "--log-format", "json"])
                psi.ArgumentList.Add(a);
            var app = new DeclaredApp(Process.Start(psi)!);
            app._process.OutputDataReceived += (_, _) => { };
            app._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) app._stderr.Enqueue(e.Data);
                if (e.Data is null) app._lines.CompleteAdding();
                else if (e.Data.StartsWith('{'))
                {
                    try { app._lines.Add(JsonDocument.Parse(e.Data).RootElement.Clone()); }
                    catch (JsonException) { } // not one of Tend's JSON lines: only those are looked at
                }
            };
            app._process.BeginOutputReadLine();
            app._process.BeginErrorReadLine();
            return app;
        }

        /// <summary>The next line that <paramref name="match"/> takes, within <paramref name="seconds"/> (null: none, or it
        /// exited).</summary>
        private JsonElement? Next(Func<JsonElement, bool> match, double seconds)
        {
            if (_seen.FirstOrDefault(match) is { ValueKind: not JsonValueKind.Undefined } old) return old;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                if (!_lines.TryTake(out var line, TimeSpan.FromSeconds(seconds) - sw.Elapsed))
                    return null;
                _seen.Add(line);
                if (match(line)) return line;
            }
            return null;
        }

        private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : null;

        public void WaitForEvent(string service, string name)
        {
            if (Next(e => Str(e, "service") == service && Str(e, "event") == name, 20) is null)
                throw new TimeoutException($"no '{name}' event of {service} within 20s; lines: " +
                    string.Join("\n", _seen.Select(e => e.ToString())));
        }

        private const string ServingLine = "serving /healthz and /metrics on http://";

        /// <summary>The address of Tend's "serving … on http://ADDRESS" line: waited for, or only among the lines read so far.</summary>
        public string? Serving(bool wait = true)
        {
            bool IsServing(JsonElement e) => Str(e, "message")?.StartsWith(ServingLine, StringComparison.Ordinal) == true;
            if (!wait) while (_lines.TryTake(out var line)) _seen.Add(line);
            var found = wait ? Next(IsServing, 20) : _seen.FirstOrDefault(IsServing) is { ValueKind: not JsonValueKind.Undefined } e ? e
                : null;
            if (found is null && wait) throw new TimeoutException("Tend never said where it serves; lines: " +
                string.Join("\n", _seen.Select(e => e.ToString())));
            return found is { } f ? Str(f, "message")![ServingLine.Length..] : null;
        }

        /// <summary>The TCP ports Tend listens on (state 0A in /proc/PID/net/tcp, proc(5), a socket one of its descriptors
        /// holds).</summary>
        public List<int> ListeningPorts()
        {
            var mine = Directory.EnumerateFileSystemEntries($"/proc/{_process.Id}/fd").Select(f => new FileInfo(f).LinkTarget ?? "")
                .Where(t => t.StartsWith("socket:[", StringComparison.Ordinal)).Select(t => t[8..^1]).ToHashSet();
            return [.. File.ReadAllLines($"/proc/{_process.Id}/net/tcp").Skip(1).Select(l => l.Split(' ',
                StringSplitOptions.RemoveEmptyEntries)).Where(f => f[3] == "0A"
                    && mine.Contains(f[9])).Select(f => Convert.ToInt32(f[1].Split(':')[1], 16))];
        }

        /// <summary>Waits (at most <paramref name="seconds"/>) for it to exit: its exit code and all it wrote to stderr.</summary>
        public (int Code, string Stderr) Exit(double seconds)
        {
            if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds))) throw new TimeoutException($"still running after {seconds}s");
            _process.WaitForExit(); // the end of its stderr read
            return (_process.ExitCode, string.Join("\n", _stderr));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                var children = Children(_process.Id);
                _ = Libc.kill(_process.Id, 15);
                if (!_process.WaitForExit(10_000))
                {
                    _ = Libc.kill(_process.Id, 9);
                    foreach (var pid in children) _ = Libc.kill(pid, 9);
                    _process.WaitForExit();
                }
            }
            _process.Dispose();
        }

        /// <summary>The pids of <paramref name="pid"/>'s children (/proc/PID/task/TID/children, proc(5)).</summary>
        private static List<int> Children(int pid) =>
            [.. Directory.EnumerateDirectories($"/proc/{pid}/task").SelectMany(t => File.Exists(Path.Combine(t, "children"))
                ? File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries) : []).Select(int.Parse)];
    }

    private static class Libc
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int kill(int pid, int signal);
    }
}
