using System.Text;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Tests;

/// <summary>The writer of Tend's output descriptors and the byte-exact text codec, on real pipes in this process.</summary>
public sealed unsafe class OutputRelayTests
{
    [Fact]
    public void Lines_dropped_while_the_sink_stalls_are_counted_and_the_count_written_once_it_drains()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.pipe2(fds, Libc.O_CLOEXEC));
        var (read, write) = (fds[0], fds[1]);
        try
        {
            // Fill the pipe: the relay's first write blocks, as on a log driver that stopped reading.
            Libc.fcntl(write, 4 /* F_SETFL */, Libc.O_NONBLOCK);
            var block = new byte[4096];
            fixed (byte* b = block) while (Libc.write(write, b, block.Length) > 0) { }
            Libc.fcntl(write, 4, 0);
            var relay = new OutputRelay(write);
            var dropped = 0;
            for (var i = 0; i < 5000; i++)
                if (!relay.Post(Encoding.UTF8.GetBytes($"tend: line {i}\n"))) dropped++;
            Assert.True(dropped > 0, "nothing was dropped: the queue is not bounded");

            // The sink reads again: every queued line, then the count.
            var output = new MemoryStream();
            var buffer = new byte[65536];
            var deadline = DateTime.UtcNow.AddSeconds(10);
            Libc.fcntl(read, 4, Libc.O_NONBLOCK);
            while (!Encoding.UTF8.GetString(output.ToArray()).Contains("dropped", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                nint n;
                fixed (byte* b = buffer) n = Libc.read(read, b, buffer.Length);
                if (n > 0) output.Write(buffer, 0, (int)n);
                else Thread.Sleep(5);
            }
            var text = Encoding.UTF8.GetString(output.ToArray());
            Assert.Contains($"tend: {dropped} of Tend's own lines were dropped", text);
            Assert.Contains("tend: line 0\n", text);
            Assert.True(relay.WaitIdle(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)));
        }
        finally
        {
            Libc.close(read);
        }
    }

    [Fact]
    public void A_raw_source_is_written_exactly_as_read_while_its_lines_go_to_the_ring()
    {
        int* src = stackalloc int[2];
        int* sink = stackalloc int[2];
        Assert.Equal(0, Libc.pipe2(src, Libc.O_CLOEXEC));
        Assert.Equal(0, Libc.pipe2(sink, Libc.O_CLOEXEC));
        try
        {
            // 5000 short lines (more than one batch of the ring per read), one of 40,000 bytes, and a last one without a newline.
            var content = new List<byte>();
            for (var i = 0; i < 5000; i++) content.AddRange(Encoding.ASCII.GetBytes($"{i}\n"));
            content.AddRange(Enumerable.Repeat((byte)'x', 40_000));
            content.Add((byte)'\n');
            content.AddRange("no newline"u8.ToArray());
            var logs = new ServiceLogs([1 << 20], [null]);
            var relay = new OutputRelay(sink[1]);
            relay.Add(src[0], [], raw: true, logs, 0, LogStream.Stderr, 7);
            var writer = new Thread(() =>
            {
                var bytes = content.ToArray();
                fixed (byte* b = bytes) for (var done = 0; done < bytes.Length;) done += (int)Libc.write(src[1], b + done,
                    bytes.Length - done);
                Libc.close(src[1]);
            });
            writer.Start();
            var output = new MemoryStream();
            var buffer = new byte[65536];
            while (output.Length < content.Count)
            {
                nint n;
                fixed (byte* b = buffer) n = Libc.read(sink[0], b, buffer.Length);
                Assert.True(n > 0);
                output.Write(buffer, 0, (int)n);
            }
            writer.Join();
            Assert.True(relay.WaitIdle(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));
            Assert.Equal(content, output.ToArray()); // no newline added at the end, nothing split or prefixed

            var kept = logs.Tail([true]);
            Assert.Equal(5000 + 3 + 1, kept.Count); // the long line in pieces of at most 16 KiB - 1
            Assert.Equal(Enumerable.Range(0, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                kept.Take(5000).Select(e => Encoding.ASCII.GetString(e.Text)));
            Assert.Equal(40_000, kept.Skip(5000).Take(3).Sum(e => e.Text.Length));
            Assert.Equal("no newline", Encoding.ASCII.GetString(kept[^1].Text));
            Assert.All(kept, e => Assert.Equal((LogStream.Stderr, 7), (e.Stream, e.Run)));
            Assert.Equal(kept.Select(e => e.Sequence).Order(), kept.Select(e => e.Sequence));
        }
        finally
        {
            Libc.close(sink[0]);
        }
    }

    [Theory]
    [InlineData("aaaa€", 4, 4)]   // the cut falls on the start of '€': kept
    [InlineData("aaa€b", 4, 3)]   // inside '€' (E2 82 AC): before it
    [InlineData("aa😀bb", 4, 2)]   // inside a 4-byte character: before it
    [InlineData("aaaé", 4, 3)]    // inside 'é': before it
    public void A_long_line_is_cut_before_the_character_that_would_straddle_the_cut(string text, int max, int cut) =>
        Assert.Equal(cut, OutputRelay.Utf8Cut(Encoding.UTF8.GetBytes(text), max));

    [Fact]
    public void Bytes_that_are_not_utf8_are_cut_where_the_limit_says()
    {
        byte[] data = [0x61, 0x80, 0x80, 0x80, 0x80, 0x80, 0x62];
        Assert.Equal(5, OutputRelay.Utf8Cut(data, 5));
    }

    [Fact]
    public void Any_bytes_decode_to_a_string_that_encodes_back_to_the_same_bytes()
    {
        var random = new Random(15);
        for (var k = 0; k < 200; k++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            Assert.Equal(bytes, OsText.Encode(OsText.Decode(bytes)));
        }
        Assert.Equal("café 😀", OsText.Decode(Encoding.UTF8.GetBytes("café 😀")));
        Assert.Equal("caf\uDCE9", OsText.Decode([0x63, 0x61, 0x66, 0xE9]));
        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9 }, OsText.Encode("caf\uDCE9"));
    }
}
