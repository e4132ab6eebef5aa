using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests.Logs;

/// <summary>
/// Issue 27, the reading side of <c>tend logs</c> with real processes and Tend as PID 1 (through <see cref="TendRun"/>, with
/// --keep-run): -n per service, what is said when the window asked for reaches past what is kept, a large busy ring read
/// by many clients at once without copying it, and a client that takes nothing let go after the documented 30 s.
/// </summary>
public sealed class LogsReadingProcessTests
{
    private static void Until(Func<bool> condition, string what, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"{what}: not within {seconds}s");
            Thread.Sleep(20);
        }
    }

    private static Socket Connect(TendRun t, string request, int receiveBuffer = 1 << 16)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveBufferSize = receiveBuffer };
        s.Connect(new UnixDomainSocketEndPoint(t.SocketPath));
        s.Send(Encoding.UTF8.GetBytes(request + "\n"));
        return s;
    }

    /// <summary>The header of a <c>logs</c> answer, read byte by byte (nothing after it is taken).</summary>
    private static JsonElement Header(Socket s)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (s.Receive(one) == 1 && one[0] != '\n') line.Add(one[0]);
        using var doc = JsonDocument.Parse(line.ToArray());
        return doc.RootElement.Clone();
    }

    private static long Status(int pid, string field) => long.Parse(File.ReadLines($"/proc/{pid}/status")
        .First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    [Fact]
    public void N_counts_per_service_and_logs_says_when_the_window_reaches_past_what_is_kept()
    {
        using var t = Start(["--log-buffer", "seq=4KiB", "--restart", "never", "seq 1 3000",
            "sh -c 'echo a1; echo a2; echo a3; exec sleep 1000'"], setup: "exec >/dev/null");
        Until(() => t.Ctl("logs", "seq", "-n", "1").Out == "3000\n" && t.Ctl("logs", "sh", "-n", "1").Out == "a3\n",
            "both services' lines kept");
        var (code, output, err) = t.Ctl("logs", "seq", "sh", "-n", "2");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["seq | 2999", "seq | 3000"], lines.Where(l => l.StartsWith("seq", StringComparison.Ordinal)));
        Assert.Equal(["sh | a2", "sh | a3"], lines.Where(l => l.StartsWith("sh", StringComparison.Ordinal)));
        Assert.DoesNotContain("no longer kept", err); // two lines of each are kept
        // Asking for more than the ring keeps says how many went, for -n as for --since, and only of the service concerned.
        (code, output, err) = t.Ctl("logs", "seq", "sh", "-n", "100000");
        Assert.Equal(0, code);
        Assert.Matches(@"tend: seq: \d+ older lines are no longer kept \(its log buffer is full; --log-buffer seq=SIZE keeps more\)", err);
        Assert.DoesNotContain("tend: sh:", err);
        Assert.Contains("seq | 3000\n", output);
        Assert.Contains("older lines are no longer kept", t.Ctl("logs", "seq", "--since", "1h").Err);
        Assert.DoesNotContain("no longer kept", t.Ctl("logs", "sh", "--since", "1h").Err);
    }

    [Fact]
    public void With_log_prefix_and_no_buffer_logs_says_the_output_goes_through_tend_but_is_not_kept()
    {
        using var t = Start("--log-prefix", "--log-buffer", "0", "sh -c 'echo through tend; exec sleep 1000'");
        t.WaitForStdout("sh | through tend\n");
        var (code, output, err) = t.Ctl("logs", "sh");
        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.Contains("tend: sh: its output is not kept (--log-buffer 0 or sh=0: it goes to the container's stdout and stderr through " +
            "Tend, prefixed, but no copy is kept)", err);
        Assert.DoesNotContain("straight", err);
    }

    /// <summary>How many lines of <paramref name="output"/> are <paramref name="line"/>.</summary>
    private static int Lines(string output, string line) => output.Split('\n').Count(l => l == line);

    /// <summary>The lines the client said were left out (stderr: "tend: N lines were left out: …").</summary>
    private static int LeftOut(string err) => System.Text.RegularExpressions.Regex.Matches(err, @"tend: (\d+) lines? (?:was|were) left out")
        .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// A flood overwrites the ring while a reading looks for its window and copies it: whatever it could not get in time, the
    /// client is told about — the lines it prints and the lines it is told were left out make the N it asked for.
    /// </summary>
    [Fact]
    public void Under_a_flood_the_last_lines_asked_for_are_printed_or_said_to_be_left_out()
    {
        using var t = Start(["--log-buffer", "yes=1M", "yes flood-line-xxxx", "sleep 1000"], setup: "exec >/dev/null");
        t.NextAll(("yes", "started"), ("sleep", "started"));
        Until(() => t.Ctl("logs", "yes", "-n", "1").Out == "flood-line-xxxx\n", "the flood's lines kept");
        for (var k = 0; k < 5; k++)
        {
            var (code, output, err) = t.Ctl("logs", "yes", "-n", "1000");
            Assert.Equal(0, code);
            Assert.Equal(1000, Lines(output, "flood-line-xxxx") + LeftOut(err));
        }
    }

    [Fact]
    public async Task Ten_clients_reading_the_last_line_of_a_large_busy_ring_at_once_get_it_without_copying_the_ring()
    {
        using var t = Start(["--log-buffer", "yes=64M", "yes flood-line-xxxx", "sleep 1000"], setup: "exec >/dev/null");
        t.NextAll(("yes", "started"), ("sleep", "started"));
        Until(() =>
        {
            using var s = Connect(t, "logs yes -n 1");
            return Header(s).GetProperty("dropped").GetProperty("yes").GetInt64() > 0;
        }, "the ring full", 120);
        var before = Status(t.Pid, "VmRSS");
        var clients = Enumerable.Range(0, 10).Select(_ => Task.Run(() => t.Ctl("logs", "yes", "-n", "1"))).ToArray();
        await Task.WhenAll(clients);
        // Each gets its line, or — when the flood dropped it before the reading got to it — is told so: never silence.
        Assert.All(clients, c => Assert.Equal((0, 1), (c.Result.Code, Lines(c.Result.Out, "flood-line-xxxx") + LeftOut(c.Result.Err))));
        // Copying the 64 MiB ring into objects once per client (how reading was done) grew Tend by gigabytes.
        var grown = Status(t.Pid, "VmHWM") - before;
        Assert.True(grown < 64 * 1024, $"Tend's peak RSS grew by {grown} KiB while 10 clients read one line each");
        // The relay went on: the service's lines still come.
        using var again = Connect(t, "logs yes -n 1");
        var dropped = Header(again).GetProperty("dropped").GetProperty("yes").GetInt64();
        Until(() =>
        {
            using var s = Connect(t, "logs yes -n 1");
            return Header(s).GetProperty("dropped").GetProperty("yes").GetInt64() > dropped;
        }, "more lines read after the readings");
    }

    [Fact]
    public void A_following_client_that_takes_nothing_is_let_go_after_30_seconds_as_documented()
    {
        using var t = Start(["yes flood-line-xxxx"], setup: "exec >/dev/null");
        t.Next("yes", "started");
        using var stuck = Connect(t, "logs -f yes", 4096);
        var sw = Stopwatch.StartNew();
        // Tend closing its end shows as a hang-up on ours, with what it sent still unread.
        Until(() => HungUp((int)stuck.Handle), "the stuck client let go", 90);
        var elapsed = sw.Elapsed.TotalSeconds;
        // docs/control.md: "A client that takes nothing for 30 s is let go" (it was 61 s: 30 s per partial send).
        Assert.InRange(elapsed, Tend.Control.ControlServer.StreamSendTimeout.TotalSeconds - 1,
            Tend.Control.ControlServer.StreamSendTimeout.TotalSeconds + 10);
    }

    private static unsafe bool HungUp(int socket)
    {
        const short POLLRDHUP = 0x2000;
        var fd = new Libc.PollFd { Fd = socket, Events = POLLRDHUP };
        return Libc.poll(&fd, 1, 0) > 0 && (fd.Revents & (Libc.POLLHUP | POLLRDHUP)) != 0;
    }
}
