using System.Text;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Tests.Logs;

/// <summary>
/// The relay keeps in a ring only the tail of a read that can survive there, and counts the rest in bulk: on real pipes,
/// the ring and its counters come out exactly as when every line is kept one by one (a follower makes the relay do that),
/// and whatever needs every line (log-line readiness, a follower, <c>--log-prefix</c> output) still gets every line.
/// </summary>
[Trait("Category", "Unit")]
public sealed unsafe class RelayTailKeepingTests
{
    private const int PipeSize = 1 << 20;

    private static byte[] Lines(int from, int count, int width = 100)
    {
        var text = new StringBuilder();
        for (var i = from; i < from + count; i++) text.Append($"line {i:0000000} ").Append('x', width - 14).Append('\n');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// Relays <paramref name="parts"/> (written to a pipe of 1 MiB one after the other, each once the relay read the one before)
    /// through a relay into a sink pipe of 1 MiB; returns what the sink got.
    /// </summary>
    private static byte[] Relay(ServiceLogs logs, bool raw, byte[] prefix, int run, params byte[][] parts)
    {
        int* src = stackalloc int[2];
        int* sink = stackalloc int[2];
        Assert.Equal(0, Libc.pipe2(src, Libc.O_CLOEXEC));
        Assert.Equal(0, Libc.pipe2(sink, Libc.O_CLOEXEC));
        try
        {
            Assert.True(Libc.fcntl(src[1], Libc.F_SETPIPE_SZ, PipeSize) >= PipeSize);
            Assert.True(Libc.fcntl(sink[1], Libc.F_SETPIPE_SZ, PipeSize) >= PipeSize);
            Libc.fcntl(sink[0], Libc.F_SETFL, Libc.O_NONBLOCK);
            var output = new MemoryStream();
            var buffer = new byte[65536];
            var sinkFd = sink[0];
            void Drain()
            {
                nint n;
                do
                {
                    fixed (byte* b = buffer) n = Libc.read(sinkFd, b, buffer.Length);
                    if (n > 0) output.Write(buffer, 0, (int)n);
                } while (n > 0);
            }
            var relay = new OutputRelay(sink[1]);
            var written = 0L;
            for (var k = 0; k < parts.Length; k++)
            {
                fixed (byte* b = parts[k]) Assert.Equal(parts[k].Length, (int)Libc.write(src[1], b, parts[k].Length));
                written += parts[k].Length;
                if (k == 0) relay.Add(src[0], prefix, raw, logs, 0, LogStream.Stdout, run);
                // The next part only once this one was read: raw, what was read is written before the next read.
                if (raw && k < parts.Length - 1)
                    Assert.True(SpinWait.SpinUntil(() =>
                    {
                        Drain();
                        return output.Length == written;
                    }, 10_000), "the relay did not read the part");
            }
            Libc.close(src[1]);
            Assert.True(relay.WaitIdle(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));
            Drain();
            return output.ToArray();
        }
        finally
        {
            Libc.close(sink[0]);
            Libc.close(sink[1]);
        }
    }

    private static (List<(string, long, LogStream, int)> Kept, LogStats Stats) State(ServiceLogs logs) =>
        ([.. logs.Tail([true]).Select(e => (Encoding.ASCII.GetString(e.Text), e.Sequence, e.Stream, e.Run))], logs.Stats(0));

    /// <summary>The same bytes relayed twice: the ring skipping what it cannot keep, and with a follower (every line kept).</summary>
    private static void AssertSameAsEveryLineKept(int capacity, bool raw, byte[] before, params byte[][] parts)
    {
        var prefix = raw ? Array.Empty<byte>() : "svc | "u8.ToArray();
        var skipping = new ServiceLogs([capacity], [null]);
        var everyLine = new ServiceLogs([capacity], [null]);
        using var follower = everyLine.Follow([true]);
        foreach (var logs in new[] { skipping, everyLine })
            if (before.Length > 0) logs.Append(0, LogStream.Stderr, 1, before, 1);
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var output = Relay(skipping, raw, prefix, 2, parts);
        var t1 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(output, Relay(everyLine, raw, prefix, 2, parts));
        var (expected, actual) = (State(everyLine), State(skipping));
        Assert.Equal(expected.Kept, actual.Kept);
        Assert.Equal(expected.Stats, actual.Stats);
        var kept = skipping.Tail([true]);
        Assert.All(kept, e => Assert.InRange(e.TimeMs, t0, t1));
        Assert.All(kept, e => Assert.Equal((LogStream.Stdout, 2), (e.Stream, e.Run)));
        var taken = new List<LogEntry>();
        long lost = 0;
        follower.TakeAll(d => { lost += d; return true; }, e => { taken.Add(e); return true; });
        Assert.Equal(everyLine.Stats(0).Added, taken.Count + lost); // the follower was offered every line
    }

    [Fact]
    public void A_read_larger_than_the_ring_leaves_exactly_its_last_lines_and_exact_counts()
    {
        var ring = 4096;
        var data = Lines(0, 2000); // 200,000 bytes: one read
        var logs = new ServiceLogs([ring], [null]);
        logs.Append(0, LogStream.Stderr, 1, "kept before"u8, 1);
        Assert.Equal(data, Relay(logs, raw: true, [], 3, data));

        var fit = ring / (99 + LogEntry.Overhead); // 99 bytes of text a line
        var kept = logs.Tail([true]);
        Assert.Equal([.. Enumerable.Range(2000 - fit, fit).Select(i => $"line {i:0000000} " + new string('x', 86))],
            kept.Select(e => Encoding.ASCII.GetString(e.Text)));
        Assert.All(kept, e => Assert.Equal((LogStream.Stdout, 3), (e.Stream, e.Run)));
        Assert.Equal(kept.Select(e => e.Sequence).Order(), kept.Select(e => e.Sequence));
        Assert.Equal(2001, kept[^1].Sequence); // the lines not kept used up their sequence numbers
        var stats = logs.Stats(0);
        Assert.Equal((2001L, 2001L - fit, fit, 11 + 2000L * 99), (stats.Added, stats.Dropped, stats.Lines, stats.Bytes));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_ring_and_its_counters_are_those_of_keeping_every_line(bool raw)
    {
        // Reads larger than the ring, after lines kept before, a line cut across reads, and a last one without a newline.
        var first = Lines(0, 2500);
        var second = Lines(2500, 3000);
        byte[] cutLine = [.. first, .. "a line cut "u8];
        byte[] rest = [.. "across two reads\n"u8, .. second, .. "the end"u8];
        AssertSameAsEveryLineKept(8192, raw, "kept before"u8.ToArray(), cutLine, rest);
        AssertSameAsEveryLineKept(64 * 1024, raw, [], [.. first, .. second]);
        AssertSameAsEveryLineKept(100, raw, [], first); // a ring that holds one line
        AssertSameAsEveryLineKept(0, raw, [], first);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Lines_longer_than_an_output_line_are_counted_in_their_pieces(bool raw)
    {
        var longLine = Enumerable.Repeat((byte)'y', 3 * OutputRelay.MaxLine + 5).Append((byte)'\n');
        byte[] data = [.. Lines(0, 300), .. longLine, .. "é"u8, .. Enumerable.Repeat((byte)'z', OutputRelay.MaxLine), .. "\n"u8,
            .. Lines(300, 800)];
        AssertSameAsEveryLineKept(4096, raw, [], data);
        AssertSameAsEveryLineKept(20_000, raw, [], data);
    }

    [Fact]
    public void With_log_prefix_every_line_is_written_prefixed_though_the_ring_keeps_the_tail()
    {
        var data = Lines(0, 2000);
        var logs = new ServiceLogs([4096], [null]);
        var output = Relay(logs, raw: false, "svc | "u8.ToArray(), 1, data);
        var expected = string.Concat(Encoding.ASCII.GetString(data).Split('\n')[..^1].Select(l => $"svc | {l}\n"));
        Assert.Equal(expected, Encoding.ASCII.GetString(output));
        Assert.Equal(2000 - logs.Stats(0).Lines, logs.Stats(0).Dropped);
    }

    [Fact]
    public void A_log_line_readiness_check_sees_every_line_until_the_run_is_ready()
    {
        // The line that says ready is far out of the ring's reach: it must be matched all the same.
        byte[] data = [.. "ready\n"u8, .. Lines(0, 2000)];
        var logs = new ServiceLogs([4096], [Readiness.LogLine("^ready$")]);
        Relay(logs, raw: true, [], 1, data);
        Assert.True(logs.Matched(0, 1));
        var tail = Lines(0, 2000)[^(40 * 100)..];
        Assert.Equal(Encoding.ASCII.GetString(tail).Split('\n')[^34..^1],
            logs.Tail([true]).Select(e => Encoding.ASCII.GetString(e.Text)));
    }

    [Fact]
    public void A_ring_skip_counts_the_lines_added_and_dropped_and_drops_what_was_kept()
    {
        var ring = new LogRing(1000);
        for (var i = 0; i < 30; i++) ring.Add(i, 1, LogStream.Stdout, 1, "0123456789"u8);
        Assert.Equal((29, 1L), (ring.Count, ring.Dropped)); // 34 bytes a line, header included
        ring.Skip(500, 4500);
        Assert.Equal((0, 530L, 530L, 4800L), (ring.Count, ring.Added, ring.Dropped, ring.Bytes));
        ring.Add(1000, 2, LogStream.Stderr, 2, "after"u8);
        var into = new List<LogEntry>();
        ring.CopyTo(0, into);
        Assert.Equal("after", Encoding.ASCII.GetString(Assert.Single(into).Text));
    }

    [Fact]
    public void Newlines_are_counted_exactly_at_every_length_and_alignment()
    {
        var random = new Random(27);
        foreach (var length in new[] { 0, 1, 15, 16, 17, 255 * 16 - 1, 255 * 16, 255 * 16 + 17, 100_003 })
        {
            var data = new byte[length + 3];
            random.NextBytes(data);
            for (var i = 0; i < data.Length; i += random.Next(1, 40)) data[i] = (byte)'\n';
            for (var offset = 0; offset < 3; offset++)
                Assert.Equal(data.AsSpan(offset, length).Count((byte)'\n'), OutputRelay.CountNewlines(data.AsSpan(offset, length)));
        }
        Assert.Equal(100_000, OutputRelay.CountNewlines(Enumerable.Repeat((byte)'\n', 100_000).ToArray())); // no counter overflows
    }

    [Theory]
    [InlineData(100, 64, false)]
    [InlineData(64, 64, false)]
    [InlineData(65, 64, true)]
    [InlineData(2000, 1000, true)]
    public void A_line_longer_than_the_limit_is_always_noticed(int lineLength, int max, bool longer)
    {
        // Every place of the long line among short ones: a window with no newline is found wherever it starts.
        for (var offset = 0; offset < max; offset++)
        {
            byte[] data = [.. Enumerable.Repeat((byte)'\n', offset + 1), .. Enumerable.Repeat((byte)'a', lineLength), .. "\n\n\n"u8];
            Assert.True(!longer || OutputRelay.MayHoldLongLine(data, max), $"a line of {lineLength} bytes at {offset + 1} missed");
        }
        Assert.False(OutputRelay.MayHoldLongLine(Lines(0, 100), 16_000));
    }
}
