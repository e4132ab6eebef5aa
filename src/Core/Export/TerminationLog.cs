using System.Text;
using Tend.Logging;
using Tend.Posix;

namespace Tend.Export;

/// <summary>
/// The container's last words for Kubernetes: when Tend ends on a failure, why — the failed service, how it ended (its
/// exit code or signal, Tend's code being the service's: 128+N for signal N) and the service's own last lines from its
/// log ring (<see cref="ServiceLogs"/>); Tend's own last lines when no service failed (an internal error) — written to
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

    /// <summary>
    /// The message for exit code <paramref name="code"/> when service <paramref name="service"/> failed (it ended with
    /// <paramref name="exit"/>, or could not run: <paramref name="reason"/>), quoting its own last lines
    /// <paramref name="serviceLines"/> (oldest first); at most <see cref="MaxBytes"/> bytes of UTF-8, the oldest lines left out first.
    /// </summary>
    public static string Message(int code, string service, ExitStatus? exit, string? reason, IReadOnlyList<byte[]> serviceLines)
    {
        var how = exit is { Unknown: false } e ? (e.Signal != 0 ? $"it was killed by {Signals.Name(e.Signal)}"
            : $"it exited with code {e.Code}") : "it never ran";
        // The reason, unless it only says again how the run ended ("exited with exit code 3 and its restart policy is Never").
        var why = reason is null || (exit is { Unknown: false } x && reason.StartsWith($"exited with {x}",
            StringComparison.Ordinal)) ? "" : $" ({reason.Replace('\n', ' ')})";
        var head = $"tend: service '{service}' failed: {how}{why}; the container ended with exit code {code}.\n";
        if (serviceLines.Count == 0) return Fit(head
            + $"'{service}' wrote nothing that Tend kept (its log buffer is off, or it printed nothing).\n");
        var intro = $"The last lines of '{service}':\n";
        var lines = serviceLines.Select(l => Encoding.UTF8.GetString(l).Replace('\n', ' ') + "\n").ToList();
        while (lines.Count > 1
            && Encoding.UTF8.GetByteCount(head) + Encoding.UTF8.GetByteCount(intro)
            + lines.Sum(Encoding.UTF8.GetByteCount) > MaxBytes) lines.RemoveAt(0);
        return Fit(head + intro + string.Concat(lines));
    }

    /// <summary>Cuts <paramref name="text"/> to <see cref="MaxBytes"/> bytes of UTF-8, never inside a character.</summary>
    private static string Fit(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) <= MaxBytes) return text;
        var bytes = Encoding.UTF8.GetBytes(text);
        return Encoding.UTF8.GetString(bytes, 0, OutputRelay.Utf8Cut(bytes, MaxBytes));
    }

    /// <summary>Writes <paramref name="message"/> to <paramref name="path"/> when the file exists and <paramref name="code"/> is not
    /// 0.</summary>
    public static void WriteMessage(string path, int code, Func<string> message)
    {
        if (code == 0 || !File.Exists(path)) return;
        var fd = Libc.open(path, Libc.O_WRONLY | O_TRUNC | Libc.O_CLOEXEC);
        if (fd < 0) return;
        FdWriter.Write(fd, message());
        _ = Libc.close(fd); // on its way out: nothing to do about a failed close
    }

    /// <summary>Writes the message to <paramref name="path"/> when the file exists; a failure to write is not Tend's to report on its way
    /// out.</summary>
    public static void Write(string path, int code, IReadOnlyList<string> lastLines)
    {
        // Through libc, as Tend writes everything else: System.IO's file writing would grow every Tend binary.
        WriteMessage(path, code, () => Message(code, lastLines));
    }

    private const int O_TRUNC = 0x200;
}
