using System.Text;
using Tend.Logging;

namespace Tend.Tests.Logs;

/// <summary>The log ring and the logs of every service: bounded bytes, oldest lines dropped and counted, order kept.</summary>
[Trait("Category", "Unit")]
public class LogRingTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> Texts(LogRing ring)
    {
        var into = new List<LogEntry>();
        ring.CopyTo(0, into);
        return [.. into.Select(e => Encoding.UTF8.GetString(e.Text))];
    }

    [Fact]
    public void A_flood_keeps_the_newest_lines_within_the_capacity_and_counts_the_dropped_ones()
    {
        var ring = new LogRing(1000);
        for (var i = 1; i <= 10_000; i++) ring.Add(i, i, LogStream.Stdout, 1, B($"line {i}"));
        var kept = Texts(ring);
        Assert.Equal("line 10000", kept[^1]);
        Assert.Equal(10_000, ring.Added);
        Assert.Equal(10_000 - kept.Count, ring.Dropped);
        Assert.True(kept.Sum(k => k.Length + LogEntry.Overhead) <= 1000);
        // As many as fit: one more would not.
        Assert.True(kept.Sum(k => k.Length + LogEntry.Overhead) + "line 10000".Length + LogEntry.Overhead > 1000);
        Assert.Equal([.. Enumerable.Range(10_001 - kept.Count, kept.Count).Select(i => $"line {i}")], kept);
        Assert.True(ring.Allocated <= 1000);
    }

    [Fact]
    public void Nothing_is_reserved_before_the_first_line_and_never_more_than_the_capacity()
    {
        var ring = new LogRing(1 << 20);
        Assert.Equal(0, ring.Allocated);
        ring.Add(1, 1, LogStream.Stdout, 1, B("one line"));
        Assert.Equal(1 << 20, ring.Allocated);
        for (var i = 0; i < 20_000; i++) ring.Add(i + 2, 1, LogStream.Stdout, 1, new byte[100]);
        Assert.Equal(1 << 20, ring.Allocated);
        Assert.True(ring.Dropped > 0);
        Assert.Equal(20_001 - ring.Dropped, ring.Count);
    }

    [Fact]
    public void Lines_that_wrap_around_the_buffer_end_come_back_whole_with_their_time_stream_and_run()
    {
        var ring = new LogRing(100);
        var random = new Random(27);
        var expected = new List<(string, LogStream, int, long)>();
        for (var i = 0; i < 500; i++)
        {
            var text = new string((char)('a' + i % 26), random.Next(0, 40));
            var stream = i % 3 == 0 ? LogStream.Stderr : LogStream.Stdout;
            ring.Add(i, 1_700_000_000_000 + i, stream, i / 10 + 1, B(text));
            expected.Add((text, stream, i / 10 + 1, 1_700_000_000_000 + i));
        }
        var kept = new List<LogEntry>();
        ring.CopyTo(3, kept);
        Assert.NotEmpty(kept);
        Assert.Equal(expected.TakeLast(kept.Count), kept.Select(e => (Encoding.UTF8.GetString(e.Text), e.Stream, e.Run, e.TimeMs)));
        Assert.All(kept, e => Assert.Equal(3, e.Service));
    }

    [Fact]
    public void A_line_longer_than_the_ring_is_cut_to_fit_and_a_ring_of_zero_keeps_nothing()
    {
        var ring = new LogRing(64);
        ring.Add(1, 1, LogStream.Stdout, 1, new byte[500]);
        Assert.Equal(LogRing.MaxText(64), Assert.Single(Texts(ring)).Length);
        var none = new LogRing(0);
        none.Add(1, 1, LogStream.Stdout, 1, B("x"));
        Assert.Empty(Texts(none));
        Assert.Equal(1, none.Dropped);
        Assert.Equal(0, none.Allocated);
    }

    [Fact]
    public void Tail_interleaves_services_in_the_order_read_and_takes_the_last_n_and_those_since()
    {
        var logs = new ServiceLogs([4096, 4096, 4096], [null, null, null]);
        logs.Append(0, LogStream.Stdout, 1, B("a1"), 1000);
        logs.Append(1, LogStream.Stderr, 1, B("b1"), 1000);
        logs.Append(0, LogStream.Stdout, 2, B("a2"), 2000);
        logs.Append(2, LogStream.Stdout, 1, B("c1"), 2000);
        logs.Append(1, LogStream.Stdout, 1, B("b2"), 3000);
        string Show(List<LogEntry> l) => string.Join(",", l.Select(e => Encoding.UTF8.GetString(e.Text)));
        Assert.Equal("a1,b1,a2,b2", Show(logs.Tail([true, true, false])));
        Assert.Equal("a2,b2", Show(logs.Tail([true, true, false], lines: 1))); // the last line of each service
        Assert.Equal("a1,b1,a2,c1,b2", Show(logs.Tail([true, true, true], lines: 2)));
        Assert.Equal("a2,c1,b2", Show(logs.Tail([true, true, true], sinceMs: 2000)));
        Assert.Equal("", Show(logs.Tail([true, true, true], lines: 0)));
        Assert.Equal(2, logs.Tail([true, false, false])[1].Run);
    }

    [Fact]
    public void Last_takes_the_newest_lines_whose_text_fits_in_the_bytes_given()
    {
        var logs = new ServiceLogs([1 << 16], [null]);
        for (var i = 1; i <= 1000; i++) logs.Append(0, LogStream.Stdout, 1, B($"line {i:0000}"), i);
        var last = logs.Last(0, 4095);
        Assert.Equal("line 1000", Encoding.UTF8.GetString(last[^1].Text));
        Assert.Equal(409, last.Count); // 10 bytes each, newline included
        Assert.Equal("line 0592", Encoding.UTF8.GetString(last[0].Text));
    }

    [Fact]
    public void A_follower_gets_the_lines_of_the_services_it_follows_and_a_slow_one_loses_lines_counted_not_memory()
    {
        static long Take(LogFollower f, List<LogEntry> into)
        {
            long dropped = 0;
            Assert.True(f.TakeAll(n => (dropped = n) > 0, e =>
            {
                into.Add(e);
                return true;
            }));
            return dropped;
        }
        A_follower_gets(Take);
    }

    private static void A_follower_gets(Func<LogFollower, List<LogEntry>, long> take)
    {
        var logs = new ServiceLogs([4096, 4096], [null, null]);
        using var follower = logs.Follow([false, true]);
        logs.Append(0, LogStream.Stdout, 1, B("not followed"), 1);
        logs.Append(1, LogStream.Stdout, 1, B("followed"), 1);
        var taken = new List<LogEntry>();
        Assert.Equal(0, take(follower, taken));
        Assert.Equal("followed", Encoding.UTF8.GetString(Assert.Single(taken).Text));

        var line = new byte[1000];
        var n = 10 * LogFollower.MaxQueued / 1000;
        for (var i = 0; i < n; i++) logs.Append(1, LogStream.Stdout, 1, line, 1);
        taken.Clear();
        var dropped = take(follower, taken);
        Assert.Equal(LogFollower.HalfBytes / (1000 + 28), taken.Count); // a line's header in the queue: 28 bytes
        Assert.Equal(n - taken.Count, dropped);
        logs.Unfollow(follower);
        logs.Append(1, LogStream.Stdout, 1, B("after"), 1);
        taken.Clear();
        Assert.Equal(0, take(follower, taken));
        Assert.Empty(taken);
    }

    [Fact]
    public void A_log_line_pattern_marks_the_run_whose_line_matched()
    {
        var logs = new ServiceLogs([4096], [Readiness.LogLine("^listening on port [0-9]+$")]);
        logs.Append(0, LogStream.Stdout, 1, B("starting"), 1);
        Assert.False(logs.Matched(0, 1));
        logs.Append(0, LogStream.Stderr, 1, B("listening on port 5432"), 1);
        Assert.True(logs.Matched(0, 1));
        Assert.False(logs.Matched(0, 2)); // a new run must say it again
        logs.Append(0, LogStream.Stdout, 1, B("listening on port 5432"), 1); // a line of the old run, late
        Assert.False(logs.Matched(0, 2));
        logs.Append(0, LogStream.Stdout, 2, B("listening on port 5433"), 1);
        Assert.True(logs.Matched(0, 2));
        // Only the first bytes of a line are looked at.
        var far = new ServiceLogs([0], [Readiness.LogLine("ready")]);
        far.Append(0, LogStream.Stdout, 1, [.. new byte[ServiceLogs.MaxMatchedBytes], .. B("ready")], 1);
        Assert.False(far.Matched(0, 1));
        Assert.True(far.Keeps(0)); // a ring of 0 still relays a service whose readiness reads its lines
    }

    [Theory]
    [InlineData("65536", 65536)]
    [InlineData("64k", 65536)]
    [InlineData("64KiB", 65536)]
    [InlineData("100KB", 102400)]
    [InlineData("1M", 1048576)]
    [InlineData("0", 0)]
    public void Sizes_read_as_users_write_them(string text, int bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("64 apples")]
    [InlineData("2048M")]
    [InlineData("1.5M")]
    public void Sizes_that_are_not_are_refused(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData("(ready", "insufficient closing parentheses at offset 6")]
    [InlineData("(a)\\1", "matching without backtracking cannot do")]
    [InlineData("(?=x)", "matching without backtracking cannot do")]
    public void Patterns_Tend_cannot_match_are_refused_in_words(string pattern, string message)
    {
        Assert.Contains(message, Check.PatternProblem(pattern));
        Assert.Throws<ArgumentException>(() => Readiness.LogLine(pattern));
        Assert.Contains(message, Assert.Throws<FormatException>(() => Readiness.Parse("log:" + pattern)).Message);
        Assert.Throws<FormatException>(() => Liveness.Parse("log:ready"));
    }
}
