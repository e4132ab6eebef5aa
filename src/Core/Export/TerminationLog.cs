using System.Text;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Export;

/// <summary>
/// The container's last words for Kubernetes: when Tend ends on a failure, why — its exit code (the failed service's:
/// 128+N for signal N) and its own last lines, which name the service and how it ended — written to
/// <c>/dev/termination-log</c>, which the kubelet shows as the container's termination message (<c>kubectl describe
/// pod</c>, "Last State"). Kubernetes reads at most 4096 bytes of it (Kubernetes docs, "Determine the Reason for Pod
/// Failure"): the newest lines are kept. Written only where that file exists (the kubelet creates it), so elsewhere
/// nothing changes.
/// </summary>
internal static class TerminationLog
{
    /// <summary>The kubelet's default <c>terminationMessagePath</c>.</summary>
    public const string DefaultPath = "/dev/termination-log";

    /// <summary>What the kubelet reads of it, in bytes.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The message for exit code <paramref name="code"/>, given Tend's last lines; at most <see cref="MaxBytes"/> bytes of
    /// UTF-8.</summary>
    public static string Message(int code, IReadOnlyList<string> lastLines)
    {
        var why = ExitStatus.SignalOf(code) is > 0 and var signal ? $"exit code {code}: a service was ended by {Signals.Name(signal)}"
            : $"exit code {code}";
        var head = $"tend: the container ended on a failure ({why}); Tend's last lines:\n";
        var lines = lastLines.Select(l => l.Replace('\n', ' ') + "\n").ToList();
        // Oldest lines go first when it does not fit: the last ones say how it ended.
        while (lines.Count > 0 && Encoding.UTF8.GetByteCount(head) + lines.Sum(Encoding.UTF8.GetByteCount) > MaxBytes) lines.RemoveAt(0);
        var text = head + string.Concat(lines);
        while (Encoding.UTF8.GetByteCount(text) > MaxBytes) text = text[..^1];
        return text;
    }

    /// <summary>Writes the message to <paramref name="path"/> when the file exists; a failure to write is not Tend's to report on its way
    /// out.</summary>
    public static void Write(string path, int code, IReadOnlyList<string> lastLines)
    {
        if (code == 0 || !File.Exists(path)) return;
        // Through libc, as Tend writes everything else: System.IO's file writing would grow every Tend binary.
        var fd = Libc.open(path, Libc.O_WRONLY | O_TRUNC | Libc.O_CLOEXEC);
        if (fd < 0) return;
        FdWriter.Write(fd, Message(code, lastLines));
        _ = Libc.close(fd); // on its way out: nothing to do about a failed close
    }

    private const int O_TRUNC = 0x200;
}
