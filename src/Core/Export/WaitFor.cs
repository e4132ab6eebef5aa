using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tend.Arguments;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Export;

/// <summary>
/// <c>tend wait-for ADDRESS… [--timeout D] [-- PROGRAM ARGS…]</c>: returns once every address answers — a TCP
/// connection accepted (<c>tcp:HOST:PORT</c>), or a <c>GET</c> answered 2xx or 3xx (<c>http://HOST:PORT/PATH</c>, the
/// HTTP readiness check's rule) — then, when a program follows <c>--</c>, becomes it (exec, same pid). The init
/// container of an exported pod that waits for a dependency in another pod (by its Service's name), and the
/// entrypoint of a Swarm task whose dependency is another service. Names are resolved on each attempt, so a Service
/// that appears later is found. Runs as a client, never as the supervisor.
/// </summary>
internal static partial class WaitFor
{
    /// <summary>The verb.</summary>
    public const string Verb = "wait-for";

    /// <summary>For <c>--help</c>.</summary>
    public const string Usage = "wait-for tcp:HOST:PORT|http://HOST:PORT/PATH... [--timeout D] [-- PROGRAM ARGS...]";

    /// <summary>Its flags.</summary>
    public static readonly FlagSpec[] Flags = [FlagSpec.Valued("--timeout", "DURATION", "give up after this long (exit 1); " +
        "default: wait for ever")];

    private static readonly TimeSpan Attempt = TimeSpan.FromSeconds(1);

    private sealed record Target(string Host, int Port, string? HttpPath)
    {
        public override string ToString() =>
            HttpPath is null ? $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}"
                : $"http://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}{HttpPath}";
    }

    /// <summary>
    /// Runs the verb (<paramref name="args"/> without it); 0 once all answer, 1 at the timeout, 2 for bad arguments.
    /// With a program after <c>--</c>, does not return once all answer: the process becomes that program (127 when it
    /// cannot be run, as a shell says).
    /// </summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var targets = new List<Target>();
        TimeSpan? timeout = null;
        string[]? then = null;
        try
        {
            var reader = new ArgumentReader(args, Flags);
            while (reader.Next(out var known, out var value))
            {
                if (known is null) targets.Add(Parse(value));
                else if (known.Name == "--timeout")
                {
                    if (!Duration.TryParse(value,
                        out var t)
                        || t <=
                        TimeSpan.Zero)
                        throw new UsageException($"option '--timeout' got '{value}': expected {Duration.Expected}, more than zero");
                    timeout = t;
                }
            }
            // After --: the program to become once every address answers.
            if (reader.Index >= 0 && args[reader.Index] == "--")
            {
                then = [.. reader.AfterDashes];
                if (then.Length ==
                    0) throw new UsageException($"{Verb} got '--' and no program after it: give the program to run once every address " +
                        $"answers, or leave '--' out");
            }
            if (targets.Count == 0) throw new UsageException($"{Verb} needs an address: tend {Usage}, e.g. tend {Verb} tcp:web:8080");
        }
        catch (UsageException e) { return TendHost.Fail(e); }
        var clock = Stopwatch.StartNew();
        var nextNote = TimeSpan.Zero;
        var left = targets.ToList();
        while (true)
        {
            left.RemoveAll(Answers);
            if (left.Count == 0)
            {
                FdWriter.Write(2, $"tend: {string.Join(", ", targets)} answer{(targets.Count == 1 ? "s" : "")}\n");
                return then is null ? 0 : Exec.Replace(then);
            }
            if (timeout is { } limit && clock.Elapsed >= limit)
            {
                FdWriter.Write(2, $"tend: {string.Join(", ", left)} did not answer within {Duration.Format(limit)}\n");
                return 1;
            }
            if (clock.Elapsed >= nextNote)
            {
                FdWriter.Write(2, $"tend: waiting for {string.Join(", ", left)}\n");
                nextNote = clock.Elapsed + TimeSpan.FromSeconds(10);
            }
            Thread.Sleep(Attempt);
        }
    }

    /// <summary><c>tcp:HOST:PORT</c>, <c>tcp:[::1]:PORT</c>, <c>http://HOST:PORT/PATH</c> (port 80 when left out).</summary>
    private static Target Parse(string text)
    {
        const string expected =
            "expected tcp:HOST:PORT or http://HOST:PORT/PATH, such as tcp:web:8080 or http://web:8080/ready (a port from 1 to 65535)";
        string rest, path;
        var http = text.StartsWith("http://", StringComparison.Ordinal);
        if (http)
        {
            rest = text["http://".Length..];
            var slash = rest.IndexOf('/');
            path = slash >= 0 ? rest[slash..] : "/";
            rest = slash >= 0 ? rest[..slash] : rest;
            if (path.IndexOf('#') is >= 0 and var hash) path = path[..hash]; // a fragment is the client's, never sent (RFC 9110, 4.2.4)
            if (path.Any(c => c <= ' '
                || c ==
                0x7F))
                throw new UsageException($"{Verb} got '{text}': the path may hold no space or control character (write a space as %20)");
            if (!rest.Contains(':') || rest.EndsWith(']')) rest += ":80";
        }
        else if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            rest = text[4..];
            path = "";
        }
        else throw new UsageException($"{Verb} got '{text}': {expected}");
        var colon = rest.LastIndexOf(':');
        var host = colon > 0 ? rest[..colon].TrimStart('[').TrimEnd(']') : "";
        var portText = rest[(colon + 1)..];
        if (host.Length == 0 || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture,
            out var port) || port is < 1 or > 65535)
            throw new UsageException($"{Verb} got '{text}': {expected}");
        return new Target(host, port, http ? path : null);
    }

    /// <summary>
    /// Whether one of the host's addresses accepts a connection within <see cref="Attempt"/> — and, for HTTP, answers
    /// the <c>GET</c> with 2xx or 3xx within that time too.
    /// </summary>
    private static bool Answers(Target t)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Attempt.TotalSeconds * Stopwatch.Frequency);
        var pending = new List<int>();
        int? connected = null;
        try
        {
            foreach (var address in HostNames.Resolve(t.Host))
            {
                if (Sockets.StartConnect(address, t.Port) is not { } started) continue;
                if (started.Connected) { connected = started.Fd; break; }
                pending.Add(started.Fd);
            }
            while (connected is null && pending.Count > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                for (var i = pending.Count - 1; i >= 0 && connected is null; i--)
                {
                    if (Sockets.ConnectResult(pending[i]) is not { } ok) continue;
                    if (ok) connected = pending[i];
                    else Libc.close(pending[i]);
                    pending.RemoveAt(i);
                }
                if (connected is null) Thread.Sleep(10);
            }
            if (connected is not { } fd) return false;
            pending.Add(fd);
            return t.HttpPath is null || HttpAnswers(fd, t, deadline);
        }
        finally { foreach (var fd in pending) Libc.close(fd); }
    }

    /// <summary>Sends the readiness check's request on a connected (non-blocking) socket and reads its status line before the
    /// deadline.</summary>
    private static bool HttpAnswers(int fd, Target t, long deadline)
    {
        var request =
            Encoding.ASCII.GetBytes($"GET {t.HttpPath} HTTP/1.0\r\nHost: " +
                $"{t.Host}:{t.Port.ToString(CultureInfo.InvariantCulture)}\r\nUser-Agent: tend\r\nConnection: close\r\n\r\n");
        if (!Sockets.SendAll(fd, request)) return false;
        var answer = new byte[16];
        var received = 0;
        while (received < answer.Length && Stopwatch.GetTimestamp() < deadline)
        {
            int n;
            try { n = Sockets.Receive(fd, answer.AsSpan(received)); }
            catch (IOException) { return false; }
            if (n == 0) break;
            if (n < 0) { Thread.Sleep(10); continue; }
            received += n;
        }
        return Probes.HttpStatus(answer.AsSpan(0, received)) is >= 200 and < 400;
    }
}
