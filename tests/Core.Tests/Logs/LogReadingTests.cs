using System.Text;
using Tend.Logging;

namespace Tend.Tests.Logs;

/// <summary>
/// Reading a ring in bounded steps (<c>tend logs</c> on a large, busy ring): only the lines asked for are copied, the ring's
/// lock is held for one bounded step, readers start from the marks earlier readers left, a flood that overtakes a reader
/// is counted, and a follower's queue is bytes within its bound.
/// </summary>
[Trait("Category", "Unit")]
public class LogReadingTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string Show(List<LogEntry> l) => string.Join(",", l.Select(e => Encoding.UTF8.GetString(e.Text)));

    private static ServiceLogs Flooded(int capacity, int lines, int services = 1)
    {
        var logs = new ServiceLogs([.. Enumerable.Repeat(capacity, services)], [.. Enumerable.Repeat<Readiness?>(null, services)]);
        for (var i = 1; i <= lines; i++) logs.Append(i % services, LogStream.Stdout, 1, B($"flood-line {i}"), i);
        return logs;
    }

    [Fact]
    public void The_last_lines_of_a_large_ring_are_read_without_copying_the_rest()
    {
        var logs = Flooded(64 << 20, 2_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var tail = logs.Tail([true], lines: 5);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("flood-line 1999996,flood-line 1999997,flood-line 1999998,flood-line 1999999,flood-line 2000000", Show(tail));
        // Copying the ring (what reading did before) allocates ~100 MB for these 2 million lines.
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to read 5 lines");
    }

    [Fact]
    public void A_seek_steps_over_at_most_its_budget_and_the_next_reader_starts_from_where_the_last_one_got()
    {
        var ring = new LogRing(1 << 20);
        for (var i = 0; i < 30_000; i++) ring.Add(i + 1, i, LogStream.Stdout, 1, B($"line {i}"));
        var cursor = ring.Oldest;
        Assert.False(ring.Seek(ref cursor, ring.Added - 1, 1000));
        Assert.Equal(ring.First + 1000, cursor.Line);
        while (!ring.Seek(ref cursor, ring.Added - 1, 1000)) { }
        Assert.Equal(ring.Added - 1, cursor.Line);
        // A second reader asking for the same line gets there in one step; one asking for an earlier line, from a mark.
        var second = ring.Oldest;
        Assert.True(ring.Seek(ref second, ring.Added - 1, 1));
        Assert.Equal(cursor, second);
        var third = ring.Oldest;
        Assert.True(ring.Seek(ref third, ring.Added - 3000, LogRing.MarkEvery));
        var read = new List<LogEntry>();
        ring.Read(0, ref third, third.Line + 1, 1, read);
        Assert.Equal($"line {ring.Added - 3000}", Encoding.UTF8.GetString(Assert.Single(read).Text));
    }

    [Fact]
    public void Since_finds_the_first_line_of_the_window_and_reads_in_bounded_batches()
    {
        var logs = Flooded(1 << 20, 20_000);
        var reader = logs.Read([true], sinceMs: 19_991);
        var batch = new List<LogEntry>();
        var batches = 0;
        var all = new List<LogEntry>();
        while (reader.Next(batch, 40))
        {
            batches++;
            all.AddRange(batch);
            Assert.True(batch.Count <= 2, $"{batch.Count} lines in a batch of 40 bytes");
            batch.Clear();
        }
        Assert.Equal([.. Enumerable.Range(19_991, 10).Select(i => $"flood-line {i}")], all.Select(e => Encoding.UTF8.GetString(e.Text)));
        Assert.True(batches >= 5);
    }

    [Fact]
    public void Lines_a_flood_drops_while_a_reader_is_behind_are_counted_and_the_reading_goes_on_from_the_oldest_kept()
    {
        var logs = new ServiceLogs([2000], [null]);
        for (var i = 1; i <= 40; i++) logs.Append(0, LogStream.Stdout, 1, B($"{i:000}"), i);
        var reader = logs.Read([true]);
        var batch = new List<LogEntry>();
        Assert.True(reader.Next(batch, 1));
        var firstRead = Encoding.UTF8.GetString(batch[0].Text);
        // The reader copies a batch per service ahead; a flood then overwrites the rest of its window.
        for (var i = 41; i <= 500; i++) logs.Append(0, LogStream.Stdout, 1, B($"{i:000}"), i);
        while (reader.Next(batch, 1 << 20)) { }
        Assert.True(reader.TakeMissed() > 0 || batch.Count == 40, $"first {firstRead}, {batch.Count} lines, none missed");
        // Never a line newer than the reading's start.
        Assert.All(batch, e => Assert.True(int.Parse(Encoding.UTF8.GetString(e.Text)) <= 40));
    }

    [Fact]
    public void The_window_says_when_it_reaches_past_what_is_kept()
    {
        var logs = Flooded(1000, 200);
        var first = logs.Tail([true])[0].TimeMs;
        bool Past(int? lines = null, long since = long.MinValue) => logs.Read([true], lines, since).Windows.Single().PastKept;
        Assert.True(Past());
        Assert.True(Past(lines: 100));
        Assert.False(Past(lines: 2));
        Assert.True(Past(since: first - 50));
        Assert.False(Past(since: first + 1));
        Assert.False(Flooded(100_000, 200).Read([true]).Windows.Single().PastKept);
    }

    [Fact]
    public void A_follower_queue_costs_its_bound_in_bytes_and_the_relay_allocates_nothing_per_line()
    {
        var logs = new ServiceLogs([0], [null]);
        using var follower = logs.Follow([true]);
        var text = B("flood-line-xxxx");
        for (var i = 0; i < 100_000; i++) follower.Offer(0, i, i, LogStream.Stdout, 1, text); // the queue grows to its bound
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000_000; i++) follower.Offer(0, i, i, LogStream.Stdout, 1, text);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4096);
        var taken = 0L;
        var dropped = 0L;
        Assert.True(follower.TakeAll(n => (dropped = n) > 0, _ => ++taken > 0));
        Assert.Equal(LogFollower.HalfBytes / (text.Length + 28), taken);
        Assert.Equal(1_100_000 - taken, dropped);
    }
}
