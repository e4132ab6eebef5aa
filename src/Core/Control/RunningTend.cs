using Tend.Posix;

namespace Tend.Control;

/// <summary>
/// Whether a Tend already supervises this container, so that <c>docker exec C tend ps</c> (a word that is no verb) is
/// refused rather than taken for a command line: a second supervisor would start every declared service again — a
/// second web on the same port, a second worker — and outlive the <c>docker exec</c> that started it.
/// </summary>
internal static class RunningTend
{
    /// <summary>
    /// Why this run must not supervise, or null. A Tend serves one of <paramref name="sockets"/> (the paths this run
    /// would use), or — when the place was left to Tend (<paramref name="automatic"/>) — PID 1 is this very program.
    /// A run given a socket of its own (<c>--control-socket PATH</c>) or <c>--no-control</c> starts on purpose.
    /// </summary>
    public static string? Refusal(IReadOnlyList<string> commandLines, IReadOnlyList<string>? sockets, bool automatic)
    {
        if (Libc.getpid() == 1 || sockets is null) return null;
        var live = sockets.FirstOrDefault(s => Libc.FileType(s) == Libc.S_IFSOCK && ControlServer.Answers(s));
        string where;
        if (live is not null) where = $"control socket {live}";
        else if (automatic && Pid1IsThisProgram()) where = "it is PID 1";
        else return null;
        var first = commandLines.Count > 0 ? commandLines[0] : null;
        var typo = first is not null && commandLines.Count == 1 && !first.Contains('/') && !first.Any(char.IsWhiteSpace);
        var what = typo
            ? $"'{first}' is not a verb of tend (the verbs: {ControlVerbs.Names}), and a Tend already supervises this container ({where})"
            : $"a Tend already supervises this container ({where}): a second one would start every service again";
        return $"{what}; nothing was started. To run a second supervisor on purpose, " +
            "give it a control socket of its own (--control-socket PATH) or --no-control";
    }

    /// <summary>PID 1 runs the same executable as this process (readable as root or as PID 1's user; else false).</summary>
    private static bool Pid1IsThisProgram()
    {
        try
        {
            var pid1 = new FileInfo("/proc/1/exe").LinkTarget;
            return pid1 is not null && pid1 == new FileInfo("/proc/self/exe").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
