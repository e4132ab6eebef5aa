using System.Text;
using Tend.Export;

namespace Tend.Tests.Export;

/// <summary>The termination message: why the container ended on a failure, in the file the kubelet reads (≤ 4 KB).</summary>
public class TerminationLogTests
{
    [Fact]
    [Trait("Category", "Unit")]
    public void It_names_the_signal_and_keeps_the_newest_lines_within_4_KB()
    {
        var text = TerminationLog.Message(137, ["web: started (pid 7)", "web: pid 7 killed by SIGKILL"]);
        Assert.StartsWith("tend: the container ended on a failure (exit code 137: a service was ended by SIGKILL)", text);
        Assert.EndsWith("web: started (pid 7)\nweb: pid 7 killed by SIGKILL\n", text);

        var lines = Enumerable.Range(1, 8).Select(i => $"line {i} " + new string('é', 600)).ToList();
        text = TerminationLog.Message(1, lines);
        Assert.True(Encoding.UTF8.GetByteCount(text) <= TerminationLog.MaxBytes);
        Assert.Contains("line 8 ", text);
        Assert.DoesNotContain("line 1 ", text);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void A_failed_service_is_named_with_how_it_ended_and_its_own_newest_lines_within_4_KB()
    {
        var text = TerminationLog.Message(139, "web", new ExitStatus(0, 11), null, [Encoding.UTF8.GetBytes("listening"),
            Encoding.UTF8.GetBytes("oops")]);
        Assert.Equal("tend: service 'web' failed: it was killed by SIGSEGV; the container ended with exit code 139.\nThe last lines of " +
            "'web':\nlistening\noops\n", text);
        var lines = Enumerable.Range(1, 50).Select(i => Encoding.UTF8.GetBytes($"line {i} " + new string('é', 100))).ToList();
        text = TerminationLog.Message(1, "db", null, "cannot start: 'x' was not found", lines);
        Assert.StartsWith("tend: service 'db' failed: it never ran (cannot start: 'x' was not found)", text);
        Assert.True(Encoding.UTF8.GetByteCount(text) <= TerminationLog.MaxBytes);
        Assert.EndsWith($"line 50 {new string('é', 100)}\n", text);
        Assert.DoesNotContain("line 1 ", text);
        // One line longer than the limit: cut, never inside a character.
        text = TerminationLog.Message(1, "db", null, null, [Encoding.UTF8.GetBytes(new string('€', 3000))]);
        Assert.True(Encoding.UTF8.GetByteCount(text) <= TerminationLog.MaxBytes);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public void Tend_as_PID_1_writes_it_when_the_orchestrated_service_fails_and_not_when_it_succeeds()
    {
        foreach (var (script, code) in new[] { ("exit 3", 3), ("exit 0", 0) })
        {
            var file = Path.GetTempFileName();
            try
            {
                // As in a pod: /dev/termination-log exists (here a private /dev whose file is the test's).
                var setup = "mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && touch /dev/termination-log && " +
                            $"mount --bind {file} /dev/termination-log";
                using var tend = TendRun.Start(["--orchestrated", "--no-control", $"sh -c '{script}'"], setup);
                Assert.Equal(code, tend.WaitForExit());
                var message = File.ReadAllText(file);
                if (code == 0) Assert.Equal("", message);
                else
                {
                    // The failed service and how it ended; it printed nothing, and the message says so.
                    Assert.Equal("tend: service 'sh' failed: it exited with code 3; the container ended with exit code 3.\n" +
                        "'sh' wrote nothing that Tend kept (its log buffer is off, or it printed nothing).\n", message);
                }
            }
            finally { File.Delete(file); }
        }
    }
}
