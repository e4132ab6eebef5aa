using System.Diagnostics;
using System.Text;

namespace Tend.Testing;

/// <summary>
/// A command run under a real pseudo-terminal: util-linux <c>script -qefc COMMAND /dev/null</c> (shared by the test
/// projects). What is sent is typed at the terminal (<c>"\u0003"</c> is Ctrl-C: the line discipline turns it into
/// SIGINT for the terminal's foreground process group); what the terminal shows is read back.
/// </summary>
internal sealed class Pty : IDisposable
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

    /// <summary>The command's exit code (script -e passes it on).</summary>
    public int Exit(double seconds = 15)
    {
        if (!_p.WaitForExit(TimeSpan.FromSeconds(seconds))) throw new TimeoutException($"script did not exit:\n{Output}");
        _p.WaitForExit();
        return _p.ExitCode;
    }

    /// <summary>Ends <c>script</c> by its pid if it still runs (its command gets SIGHUP as the terminal closes).</summary>
    public void Dispose()
    {
        if (!_p.HasExited) { _p.Kill(); _p.WaitForExit(5000); }
        _p.Dispose();
    }
}
