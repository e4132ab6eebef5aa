// Services declared in code through Tend's public API (what the generator will emit), for process tests of
// ordering, one-shot tasks and critical services. The first argument picks the scenario; the rest go to Tend.
using Tend;

var scenario = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();

// Not a scenario: "listen PORT DELAY_MS" is a TCP server on 127.0.0.1 that starts listening after a delay.
if (scenario == "listen")
{
    Thread.Sleep(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, int.Parse(args[1],
        System.Globalization.CultureInfo.InvariantCulture));
    listener.Start();
    while (true) listener.AcceptTcpClient().Dispose();
}
// Not a scenario: "http PORT STATUSFILE" is an HTTP server on 127.0.0.1 whose answers the test steers through a file:
// "200", "500"… answers that status; "500*2" answers 500 twice (counting down in the file), then 200; "stop" makes the
// server stop itself (SIGSTOP) on the next request, once ("200" is written back first). No file: 200. Each answer is
// a line on stdout ("http: answered 503"), for a test to count the checks that were answered.
if (scenario == "http")
{
    var statusFile = args[2];
    var server = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, int.Parse(args[1],
        System.Globalization.CultureInfo.InvariantCulture));
    server.Start();
    while (true)
    {
        using var client = server.AcceptTcpClient();
        var stream = client.GetStream();
        var request = new List<byte>();
        var buffer = new byte[1024];
        while (!System.Text.Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = stream.Read(buffer);
            if (n == 0) break;
            request.AddRange(buffer.AsSpan(0, n));
        }
        // a TCP check: no request
        if (!System.Text.Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal)) continue;
        var status = File.Exists(statusFile) ? File.ReadAllText(statusFile).Trim() : "200";
        if (status == "stop")
        {
            File.WriteAllText(statusFile, "200");
            System.Diagnostics.Process.Start("kill", ["-STOP",
                Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            continue; // continued only to be stopped: this request is never answered
        }
        var star = status.IndexOf('*');
        if (star > 0)
        {
            var left = int.Parse(status[(star + 1)..], System.Globalization.CultureInfo.InvariantCulture) - 1;
            File.WriteAllText(statusFile, left > 0 ? $"{status[..star]}*{left}" : "200");
            status = status[..star];
        }
        stream.Write(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.0 {status} X\r\nContent-Length: 0\r\n\r\n"));
        Console.WriteLine($"http: answered {status}");
    }
}
// Not a scenario: "notify DELAY_MS" waits, then says READY=1 on $NOTIFY_SOCKET (sd_notify(3): one datagram), then sleeps.
if (scenario == "notify")
{
    Thread.Sleep(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    var address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET") ?? throw new InvalidOperationException("no NOTIFY_SOCKET");
    using var notify = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram,
        System.Net.Sockets.ProtocolType.Unspecified);
    notify.SendTo("READY=1\nSTATUS=serving"u8.ToArray(),
        new System.Net.Sockets.UnixDomainSocketEndPoint(address.StartsWith('@') ? "\0" + address[1..] : address));
    Thread.Sleep(Timeout.Infinite);
}
var self = Environment.ProcessPath!;
var port = scenario.StartsWith("ready:", StringComparison.Ordinal) ? int.Parse(scenario[6..],
    System.Globalization.CultureInfo.InvariantCulture) : 0;
ServiceSpec Sh(string name, string script) => new(name, new Command("/bin/sh", "-c", script));

ServiceSpec[] services = scenario switch
{
    // migrate (one-shot) → db → app → web; the dependents must start in order and stop in reverse.
    "ordering" =>
    [
        Sh("web", "exec sleep 1000") with { DependsOn = ["app"] },
        Sh("app", "exec sleep 1000") with { DependsOn = ["db"] },
        Sh("db", "exec sleep 1000") with { DependsOn = ["migrate"] },
        Sh("migrate", "sleep 0.3; exit 0") with { OneShot = true },
    ],
    // A critical service that keeps failing ends Tend with its exit code (4) after stopping the rest.
    "critical" =>
    [
        Sh("db", "exit 4") with { Critical = true, Restart = Restart.OnFailure, StartLimit = 2,
            BackoffInitial = TimeSpan.FromMilliseconds(50) },
        Sh("web", "exec sleep 1000"),
    ],
    // A critical service that never runs (its working directory does not exist): Tend exits 1.
    "critical-never-ran" =>
    [
        Sh("db", "exit 0") with { Critical = true, WorkingDirectory = "/nonexistent/tend-test", StartLimit = 1,
            BackoffInitial = TimeSpan.FromMilliseconds(20) },
        Sh("web", "exec sleep 1000"),
    ],
    // Two services that ask for the container's stdin: a usage error.
    "stdin-two" => [Sh("a", "cat") with { Stdin = true }, Sh("b", "cat") with { Stdin = true }],
    // Runs as nobody through setpriv; prints its ids.
    "user" => [Sh("whoami", "id -u; id -g") with { User = "nobody", OneShot = true }],
    // Start limit 1, short backoff: a descriptor shortage at spawn must be retried past it, never fail the service.
    "shortage" => [Sh("svc", "exec sleep 1000") with { StartLimit = 1, BackoffInitial = TimeSpan.FromMilliseconds(20) }],
    "bad-user" => [Sh("whoami", "id -u") with { User = "no-such-user-here" }],
    // A set-up task that fails until the file $SETUP_OK exists (once, no restart): the command lines wait for it.
    "setup-fails" => [Sh("setup", "echo setup ran; test -e \"$SETUP_OK\"") with { OneShot = true, StartLimit = 1 }, Sh("web",
        "exec sleep 1000")],
    // A server that listens only 500ms after it started, with a TCP readiness check; its dependent must wait for it.
    _ when port > 0 =>
    [
        new ServiceSpec("server", new Command(self, "listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "500")) { Ready = Readiness.Tcp(port), Critical = true },
        Sh("client", "exec sleep 1000") with { DependsOn = ["server"] },
    ],
    // An HTTP server with an http: readiness check steered through a status file; its dependent must wait for a 2xx.
    _ when scenario.StartsWith("http-ready:", StringComparison.Ordinal) =>
    [
        new ServiceSpec("server", new Command(self, "http", "8080", scenario["http-ready:".Length..])) { Ready = Readiness.Http(8080,
            "/ready") with { Interval = TimeSpan.FromMilliseconds(50) } },
        Sh("client", "exec sleep 1000") with { DependsOn = ["server"] },
    ],
    // A server ready when it prints a line matching /ready$/ (it prints it once FILE exists, after a line that does not
    // match); its dependent must wait for that line. And a one-shot task whose output is kept.
    _ when scenario.StartsWith("log-ready:", StringComparison.Ordinal) =>
    [
        Sh("server", $"while [ ! -e {scenario["log-ready:".Length..]} ]; do sleep 0.02; done; echo 'starting up, not ready yet'; " +
            "echo 'listening: ready'; exec sleep 1000")
            with { Ready = Readiness.LogLine("ready$") with { Interval = TimeSpan.FromMilliseconds(20) } },
        Sh("client", "exec sleep 1000") with { DependsOn = ["server"] },
        Sh("migrate", "echo migrated 3 tables; echo 'one warning' >&2") with { OneShot = true },
    ],
    _ => throw new ArgumentException($"unknown scenario '{scenario}': ordering, critical, user, bad-user, ready:PORT, " +
        "http-ready:STATUSFILE, notify or log-ready:FILE"),
};
return TendHost.Run(rest, services);
