using System.Diagnostics;
using System.Text;

namespace Tend.Tests;

/// <summary>
/// <c>docker run -it IMAGE bash</c>, without Docker: Tend as PID 1 under a real pseudo-terminal (<c>script</c>), an
/// interactive bash as the last command line beside another service. bash gets the terminal as its foreground: job
/// control works, Ctrl-C and Ctrl-Z reach its job alone, and its exit ends Tend with its code.
/// </summary>
public sealed class TerminalTests
{
    private sealed class Pty : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _out = new();

        public Pty(string command)
        {
            var psi = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true,
                RedirectStandardError = true };
            foreach (var a in new[] { "-qefc", command, "/dev/null" }) psi.ArgumentList.Add(a);
            psi.Environment["PS1"] = "$ ";
            psi.Environment["TERM"] = "dumb";
            _p = Process.Start(psi)!;
            _ = Task.Run(() =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = _p.StandardOutput.Read(buffer, 0, buffer.Length)) > 0) lock (_out) _out.Append(buffer, 0, n);
            });
        }

        public string Output { get { lock (_out) return _out.ToString(); } }

        public void Send(string text)
        {
            _p.StandardInput.Write(text);
            _p.StandardInput.Flush();
        }

        /// <summary>Waits until the output after <paramref name="from"/> contains <paramref name="text"/>; returns where it ends.</summary>
        public int WaitFor(string text, int from = 0, double seconds = 10)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var o = Output;
                var at = o.IndexOf(text, Math.Min(from, o.Length), StringComparison.Ordinal);
                if (at >= 0) return at + text.Length;
                if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"the terminal never showed '{text}':\n{o}");
                Thread.Sleep(10);
            }
        }

        public int Exit(double seconds = 15)
        {
            if (!_p.WaitForExit(TimeSpan.FromSeconds(seconds))) throw new TimeoutException($"script did not exit:\n{Output}");
            _p.WaitForExit();
            return _p.ExitCode;
        }

        public void Dispose()
        {
            if (!_p.HasExited) { _ = TendRun.kill(_p.Id, Posix.Libc.SIGKILL); _p.WaitForExit(5000); }
            _p.Dispose();
        }
    }

    private static string Tend(params string[] services) =>
        $"unshare --pid --fork --mount-proc --kill-child {TendRun.Binary} --no-control {string.Join(' ', services.Select(s => $"'{s}'"))}";

    [Fact]
    public void An_interactive_bash_has_job_control_and_Ctrl_C_reaches_its_job_alone_and_exit_3_ends_Tend_with_3()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        var at = pty.WaitFor("bash: started");
        pty.Send("sleep 30 &\n");
        at = pty.WaitFor("[1] ", at);
        pty.Send("jobs\n");
        at = pty.WaitFor("Running", at);
        pty.Send("fg\n");
        at = pty.WaitFor("sleep 30\r\n", at);
        pty.Send("\u0003"); // Ctrl-C: SIGINT to the terminal's foreground group, the job bash put there
        pty.Send("echo rc=$?\n");
        at = pty.WaitFor("rc=130", at);
        pty.Send("sleep 40\n");
        Thread.Sleep(100); // measuring nothing: let bash start the job before Ctrl-Z
        pty.Send("\u001a"); // Ctrl-Z: SIGTSTP to the job
        at = pty.WaitFor("Stopped", at);
        pty.Send("jobs -l\n");
        at = pty.WaitFor("sleep 40", at);
        pty.Send("kill -9 %1; echo killed\n");
        at = pty.WaitFor("killed", at);
        Assert.DoesNotContain("received SIGINT", pty.Output);
        Assert.DoesNotContain("sleep: pid", pty.Output); // the other service never saw the terminal's signals
        pty.Send("exit 3\n");
        Assert.Equal(3, pty.Exit());
        Assert.Contains("exiting with code 3", pty.Output);
    }

    [Fact]
    public void An_interactive_service_that_exits_0_ends_Tend_with_0()
    {
        using var pty = new Pty(Tend("sleep 1000", "bash --norc --noprofile"));
        pty.WaitFor("bash: started");
        pty.Send("exit\n");
        Assert.Equal(0, pty.Exit());
        Assert.Contains("exiting with code 0", pty.Output);
    }
}
