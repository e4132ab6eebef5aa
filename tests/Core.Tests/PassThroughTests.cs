using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Tend.Posix;
using static Tend.Tests.TendRun;

namespace Tend.Tests;

/// <summary>
/// Issue 15: nothing Tend relays is altered, glued or stalled — services' output with --log-prefix, Tend's own lines
/// when the sink stalls, arguments and environment, stdin, signal dispositions and descriptors, exit codes. Real
/// processes, Tend as PID 1 of a PID namespace.
/// </summary>
public sealed partial class PassThroughTests : IDisposable
{
    private const int SIGTERM = 15;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tend-pass-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private static void WaitFor(Func<bool> condition, string what, double seconds = 10)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"{what}: not within {seconds}s");
            Thread.Sleep(10);
        }
    }

    /// <summary>Whether a thread of process <paramref name="pid"/> waits in a write to a full pipe or FIFO: its kernel wait channel
    /// (/proc/PID/task/TID/wchan, proc(5)) is pipe_write (anon_pipe_write on newer kernels).</summary>
    private static bool BlockedOnPipe(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task").Any(task =>
            {
                try { return File.ReadAllText(Path.Combine(task, "wchan")).Contains("pipe_write", StringComparison.Ordinal); }
                catch (IOException) { return false; } // the thread ended
            });
        }
        catch (IOException) { return false; } // the process ended
    }

    [Fact]
    public void A_runs_last_line_without_a_newline_is_a_line_of_its_own_when_the_run_ends()
    {
        using var t = Start("--log-prefix",
            $"sh -c 'if [ -e {P("second")} ]; then echo begin-of-run-2; exec sleep 1000; fi; touch {P("second")}; printf partial; exit 3'");
        Assert.Equal(3, Int(t.Next("sh", "exited"), "exitCode"));
        t.Next("sh", "started");
        t.WaitForStdout("sh | begin-of-run-2\n");
        // The first run ended (its pipe's end) before the second existed: its last words come first, completed.
        Assert.Equal("sh | partial\nsh | begin-of-run-2\n", t.Stdout);
    }

    [Fact]
    public void A_run_lasts_as_long_as_what_its_launcher_left_holds_its_output()
    {
        // The launcher exits 0 at once; the daemon it leaves writes on after it, into the same run's pipe.
        using var t = Start("--log-prefix", "--restart", "never", "sh -c '(sleep 0.4; printf \" and daemon\") & printf launcher; exit 0'");
        t.WaitForStdout("sh | launcher and daemon\n");
        Assert.Equal("sh | launcher and daemon\n", t.Stdout);
    }

    [Fact]
    public void Long_lines_are_split_only_between_utf8_characters_and_other_bytes_pass_unchanged()
    {
        // 60,000 bytes of text whose 1-, 2-, 3- and 4-byte characters straddle any fixed cut, then 40,000 bytes that
        // are not UTF-8 (no newline among them), each ended by a newline.
        var text = new StringBuilder("x");
        while (Encoding.UTF8.GetByteCount(text.ToString()) < 60_000 - 10) text.Append("aé€😀");
        var textBytes = Encoding.UTF8.GetBytes(text.ToString());
        var binary = new byte[40_000];
        new Random(15).NextBytes(binary);
        for (var i = 0; i < binary.Length; i++) if (binary[i] == (byte)'\n') binary[i] = 0xFF;
        File.WriteAllBytes(P("in"), [.. textBytes, (byte)'\n', .. binary, (byte)'\n']);

        using var t = Start(["--log-prefix", $"sh -c 'cat {P("in")}; exec sleep 1000'"], setup: $"exec >{P("out")}");
        var expected = textBytes.Length + binary.Length;
        var pieces = new List<byte[]>();
        WaitFor(() =>
        {
            if (!File.Exists(P("out"))) return false;
            pieces = Lines(File.ReadAllBytes(P("out")));
            return pieces.Sum(p => p.Length) >= expected;
        }, "the relayed lines");
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var seen = 0;
        foreach (var piece in pieces)
        {
            Assert.True(piece.Length + "sh | ".Length + 1 <= 16 * 1024, $"a line of {piece.Length} bytes");
            if (seen < textBytes.Length) strict.GetString(piece); // throws on a cut character
            seen += piece.Length;
        }
        Assert.True(pieces.Count >= 7, $"{pieces.Count} pieces: long lines were not split");
        Assert.Equal([.. textBytes, .. binary], pieces.SelectMany(p => p).ToArray());
    }

    /// <summary>The lines of a relayed stream, each without its "sh | " prefix and newline.</summary>
    private static List<byte[]> Lines(byte[] output)
    {
        var lines = new List<byte[]>();
        var prefix = "sh | "u8.ToArray();
        var span = output.AsSpan();
        while (true)
        {
            var nl = span.IndexOf((byte)'\n');
            if (nl < 0) return lines;
            Assert.True(span[..nl].StartsWith(prefix), "a line without the prefix");
            lines.Add(span[prefix.Length..nl].ToArray());
            span = span[(nl + 1)..];
        }
    }

    [Fact]
    public void Memory_stays_bounded_whatever_the_line_length()
    {
        // One line of 64 MB without a newline: Tend holds at most one output line of it at a time.
        using var t = Start(["--log-prefix", "--restart", "never", "sh -c 'head -c 64000000 /dev/zero | tr \"\\0\" x'", "sleep 1000"],
            setup: "exec >/dev/null");
        t.Next("sh", "completed", 60);
        var hwmKiB = long.Parse(File.ReadLines($"/proc/{t.Pid}/status").First(l => l.StartsWith("VmHWM:",
            StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.True(hwmKiB < 48 * 1024, $"tend's peak RSS was {hwmKiB} KiB");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sigterm_ends_tend_within_its_stop_timeout_when_nobody_reads_its_stdout_and_stderr(bool logPrefix)
    {
        // A FIFO this test holds open for reading but never reads, filled before Tend starts: Tend's first line blocks.
        var fifo = P("sink");
        Assert.Equal(0, mkfifo(fifo, 0x180));
        var sink = open(fifo, O_RDWR | O_NONBLOCK);
        Assert.True(sink >= 0);
        try
        {
            var chunk = new byte[4096];
            while (write(sink, chunk, chunk.Length) > 0) { }
            string[] args = logPrefix
                ? ["--log-prefix", "--stop-timeout", "2s", "yes tend-stalled-sink", "sleep 1000"]
                : ["--stop-timeout", "2s", "sleep 1000"];
            using var t = Start(args, setup: $"exec >{fifo} 2>&1");
            WaitFor(() => t.Find("sleep") is not null, "the service starting");
            if (logPrefix) WaitFor(() => t.Find("yes") is { } yes && BlockedOnPipe(yes), "yes blocking on its full output pipe");
            WaitFor(() => BlockedOnPipe(t.Pid), "a thread of tend blocking on the full FIFO");
            // Control requests are answered meanwhile.
            var (code, output, _) = t.Ctl("status");
            Assert.Equal(0, code);
            Assert.Contains("sleep", output);
            t.Signal(SIGTERM);
            Assert.Equal(0, t.WaitForExit(10)); // not held by the stalled sink (its flush gives up: OutputRelay.StallLimit)
            Assert.DoesNotContain("\"event\":\"killed\"", t.Stderr); // the services ended by SIGTERM, within the stop timeout
        }
        finally { _ = close(sink); }
    }

    [Fact]
    public void Log_prefix_prefixes_every_line_and_keeps_a_last_line_without_newline()
    {
        using var t = Start("--log-prefix", "--restart", "never", "sh -c 'echo one; echo two >&2; printf three'", "tail -f /dev/null");
        t.Next("sh", "completed");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        Assert.Contains("sh | one\n", t.Stdout);
        Assert.Contains("sh | three\n", t.Stdout);
        Assert.Contains("sh | two\n", t.Stderr);
    }

    [Fact]
    public void Log_prefix_loses_no_line_of_a_burst()
    {
        using var t = Start("--log-prefix", "--restart", "never", "seq 1 20000", "tail -f /dev/null");
        t.Next("seq", "completed");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
        var lines = t.Stdout.Split('\n').Where(l => l.StartsWith("seq | ")).Select(l => int.Parse(l[6..])).ToList();
        Assert.Equal(Enumerable.Range(1, 20000), lines);
    }

    [Fact]
    public void Log_prefix_beyond_the_open_file_limit_is_a_clear_error()
    {
        // 100 services need 400 pipe ends, above a hard open-file limit of 256: a clear error, nothing started.
        using var t = Start(["--log-prefix", .. Enumerable.Range(0, 100).Select(i => $"sleep {1000 + i}")], setup: "ulimit -n 256");
        Assert.Equal(1, t.WaitForExit());
        Assert.Contains("--log-prefix needs two pipes per service", t.Stderr);
        Assert.Contains("raise the open-file limit", t.Stderr);
        Assert.DoesNotContain(t.Events, e => Str(e, "event") == "started");
    }

    [Fact]
    public void Log_prefix_raises_the_soft_open_file_limit_when_the_hard_one_allows()
    {
        using var t = Start(["--log-prefix", .. Enumerable.Range(0, 100).Select(i => $"sleep {1000 + i}")],
            setup: "ulimit -Sn 256; ulimit -Hn 4096");
        for (var i = 0; i < 100; i++) t.Next(e => Str(e, "event") == "started");
        t.Signal(Libc.SIGTERM);
        Assert.Equal(0, t.WaitForExit());
    }

    [Fact]
    public void Arguments_and_environment_that_are_not_utf8_reach_the_service_byte_for_byte()
    {
        var setup = $"""
            export TEND_TEST_V=$'caf\xe9|\xed\xa0\x80'
            set -- "$@" "sh -c 'printf %s \"\$1\" >{P("arg")}; printf %s \"\$TEND_TEST_V\" >{P("env")}; exec sleep 1000' sh "$'caf\xe9\xff\xfe|\xed\xa0\x80|\xf4\x90\x80\x80'
            """;
        using var t = Start([], setup: setup);
        t.Next("sh", "started");
        WaitFor(() => File.Exists(P("env")) && File.ReadAllBytes(P("env")).Length > 0, "the service writing what it got");
        // Also an encoded surrogate and a sequence above U+10FFFF, which the runtime replaces differently from plain bad bytes.
        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0xFF, 0xFE, 0x7C, 0xED, 0xA0, 0x80, 0x7C, 0xF4, 0x90, 0x80, 0x80 },
            File.ReadAllBytes(P("arg")));
        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x7C, 0xED, 0xA0, 0x80 }, File.ReadAllBytes(P("env")));
    }

    [Fact]
    public void Services_get_dev_null_as_stdin_and_the_one_that_asks_gets_the_containers()
    {
        File.WriteAllText(P("input"), "hello from stdin\n");
        // on-failure: cat's exit 0 at the end of its input is its end (under always, it would be restarted).
        using var t = Start(["--restart", "on-failure", "--stdin", "cat", "cat", "sh -c 'readlink /proc/self/fd/0; exec sleep 1000'"],
            setup: $"exec <{P("input")}");
        t.WaitForStdout("hello from stdin\n");
        t.WaitForStdout("/dev/null\n");
        t.Next("cat", "completed"); // cat read to the end of the input and exited 0
    }

    [Fact]
    public void Two_services_asking_for_stdin_or_an_unknown_name_are_usage_errors()
    {
        Assert.Contains("both ask for the container's stdin", RunFailing(Path.Combine(RepoRoot, "tests/TestHost/bin", Configuration,
            "net10.0/Tend.TestHost"), "stdin-two"));
        Assert.Contains("option '--stdin' names 'web'", RunFailing(Binary, "--stdin", "web", "sleep 100"));
    }

    private static string Configuration => AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";

    private static string RunFailing(string file, params string[] args)
    {
        var (code, _, err) = TendRun.Refused(args, file: file);
        Assert.Equal(2, code);
        return err;
    }

    [Fact]
    public void Every_service_starts_with_default_signal_dispositions_an_empty_mask_and_only_fds_0_1_2()
    {
        // With --log-prefix Tend holds pipes of other runs, an eventfd, the control socket: none may leak.
        using var t = Start("--log-prefix", "sleep 1000", "sh -c 'exec sleep 1001'");
        t.NextAll(("sleep", "started"), ("sh", "started"));
        WaitFor(() => t.All("sleep").Count == 2, "both sleeps");
        foreach (var pid in t.All("sleep"))
        {
            var status = File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':',
                2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
            Assert.Equal("0000000000000000", status["SigIgn"]);
            Assert.Equal("0000000000000000", status["SigBlk"]);
            var fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(f => Path.GetFileName(f)!).Order().ToArray();
            Assert.Equal(["0", "1", "2"], fds);
            Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/0").LinkTarget);
        }
        // What makes it a test: Tend itself ignores SIGPIPE (the .NET runtime does).
        var own = File.ReadLines($"/proc/{t.Pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        Assert.NotEqual(0UL, Convert.ToUInt64(own.Split('\t')[1], 16) & (1UL << (13 - 1)));
    }

    [Theory]
    [InlineData("exit 7", 7)]
    [InlineData("kill -9 $$", 137)]
    public void A_critical_service_that_fails_for_good_ends_tend_with_its_own_exit_code(string script, int expected)
    {
        using var t = Start("--critical", "--restart", "never", "sleep 1000", $"sh -c '{script}'");
        t.Next("sh", "failed");
        Assert.Equal(expected, t.WaitForExit());
    }

    [Fact]
    public void A_critical_service_that_never_ran_ends_tend_with_1()
    {
        using var t = Start([], scenario: "critical-never-ran");
        t.Next("db", "failed", 20);
        Assert.Equal(1, t.WaitForExit());
    }

    private const int O_RDWR = 2, O_NONBLOCK = 0x800;

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, int mode);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc.so.6")]
    private static partial nint write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc.so.6")]
    private static partial int close(int fd);
}
