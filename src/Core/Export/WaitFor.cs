using System.Diagnostics;
using System.Globalization;
using Tend.Arguments;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Export;

/// <summary>
/// <c>tend wait-for tcp:HOST:PORT… [--timeout D]</c>: returns once every address accepts a TCP connection — the init
/// container of an exported pod that waits for a dependency in another pod (by its Service's name). Names are
/// resolved on each attempt, so a Service that appears later is found. Runs as a client, never as the supervisor.
/// </summary>
public static class WaitFor
{
    /// <summary>The verb.</summary>
    public const string Verb = "wait-for";

    /// <summary>For <c>--help</c>.</summary>
    public const string Usage = "wait-for tcp:HOST:PORT... [--timeout D]";

    /// <summary>Its flags.</summary>
    public static readonly FlagSpec[] Flags = [FlagSpec.Valued("--timeout", "DURATION", "give up after this long (exit 1); " +
        "default: wait for ever")];

    private static readonly TimeSpan Attempt = TimeSpan.FromSeconds(1);

    /// <summary>Runs the verb (<paramref name="args"/> without it); 0 once all answer, 1 at the timeout, 2 for bad arguments.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var targets = new List<(string Host, int Port)>();
        TimeSpan? timeout = null;
        try
        {
            var reader = new ArgumentReader(args, Flags);
            while (reader.Next(out var known, out var value))
            {
                if (known is null) targets.Add(Parse(value));
                else if (known.Name == "--timeout")
                {
                    if (!Duration.TryParse(value, out var t) || t <= TimeSpan.Zero) throw new UsageException($"option '--timeout' got '{value}': expected {Duration.Expected}, more than zero");
                    timeout = t;
                }
            }
            targets.AddRange(reader.AfterDashes.Select(Parse));
            if (targets.Count == 0) throw new UsageException($"{Verb} needs an address: tend {Usage}, e.g. tend {Verb} tcp:web:8080");
        }
        catch (UsageException e) { return TendHost.Fail(e); }
        var clock = Stopwatch.StartNew();
        var nextNote = TimeSpan.Zero;
        var left = targets.ToList();
        while (true)
        {
            left.RemoveAll(t => Answers(t.Host, t.Port));
            if (left.Count == 0)
            {
                FdWriter.Write(2, $"tend: {string.Join(", ", targets.Select(Name))} answer{(targets.Count == 1 ? "s" : "")}\n");
                return 0;
            }
            if (timeout is { } limit && clock.Elapsed >= limit)
            {
                FdWriter.Write(2, $"tend: {string.Join(", ", left.Select(Name))} did not answer within {Duration.Format(limit)}\n");
                return 1;
            }
            if (clock.Elapsed >= nextNote)
            {
                FdWriter.Write(2, $"tend: waiting for {string.Join(", ", left.Select(Name))}\n");
                nextNote = clock.Elapsed + TimeSpan.FromSeconds(10);
            }
            Thread.Sleep(Attempt);
        }
    }

    private static string Name((string Host, int Port) t) => $"{t.Host}:{t.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary><c>tcp:HOST:PORT</c>, <c>tcp:[::1]:PORT</c>.</summary>
    private static (string Host, int Port) Parse(string text)
    {
        var rest = text.StartsWith("tcp:", StringComparison.Ordinal) ? text[4..] : throw new UsageException($"{Verb} got '{text}': expected tcp:HOST:PORT, such as tcp:web:8080");
        var colon = rest.LastIndexOf(':');
        var host = colon > 0 ? rest[..colon].TrimStart('[').TrimEnd(']') : "";
        var portText = rest[(colon + 1)..];
        if (host.Length == 0 || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new UsageException($"{Verb} got '{text}': expected tcp:HOST:PORT, such as tcp:web:8080 (a port from 1 to 65535)");
        return (host, port);
    }

    /// <summary>Whether one of the host's addresses accepts a connection within <see cref="Attempt"/>.</summary>
    private static bool Answers(string host, int port)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Attempt.TotalSeconds * Stopwatch.Frequency);
        var pending = new List<int>();
        try
        {
            foreach (var address in HostNames.Resolve(host))
            {
                if (Sockets.StartConnect(address, port) is not { } started) continue;
                if (started.Connected) { Libc.close(started.Fd); return true; }
                pending.Add(started.Fd);
            }
            while (pending.Count > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                for (var i = pending.Count - 1; i >= 0; i--)
                {
                    if (Sockets.ConnectResult(pending[i]) is not { } connected) continue;
                    if (connected) return true;
                    Libc.close(pending[i]);
                    pending.RemoveAt(i);
                }
                Thread.Sleep(10);
            }
            return false;
        }
        finally { foreach (var fd in pending) Libc.close(fd); }
    }
}
