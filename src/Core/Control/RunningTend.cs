using System.Text;
using Tend.Posix;

namespace Tend.Control;

/// <summary>
/// Whether a Tend already supervises this container, so that <c>docker exec C tend ps</c> (a word that is no verb) or
/// <c>docker exec C tend "sleep 1000"</c> is refused rather than run: a second supervisor would start every declared
/// service again — a second web on the same port, a second worker — and outlive the <c>docker exec</c> that started it.
/// </summary>
/// <remarks>
/// The judgement needs no control socket (another uid cannot reach it): PID 1 of this PID namespace is compared with
/// this program. proc(5): <c>/proc/1/exe</c> needs ptrace access (root with CAP_SYS_PTRACE, or PID 1's own uid — a
/// <c>docker exec -u 0</c> into a <c>USER 1000</c> container has neither); <c>/proc/1/cmdline</c>, <c>comm</c> and
/// <c>status</c> are readable by every uid unless /proc is mounted with <c>hidepid=</c>, which hides them from other
/// uids: then an existing socket file among the places Tend puts its socket is the sign.
/// </remarks>
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
        else if (automatic && Pid1IsTend() is { } pid1)
        {
            if (!pid1) return null;
            where = ControlSocketPaths.Pid1Uid() is { } uid ? $"it is PID 1, as uid {uid}" : "it is PID 1";
        }
        else if (automatic && HiddenSocket() is { } hidden) where = $"PID 1 is hidden by /proc's hidepid, and {hidden} exists";
        else return null;
        var first = commandLines.Count > 0 ? commandLines[0] : null;
        var typo = first is not null && !first.Contains('/') && !first.Any(char.IsWhiteSpace); // tend ps, tend logz web
        var what = typo
            ? $"'{first}' is not a verb of tend (the verbs: {ControlVerbs.Names}), and a Tend already supervises this container ({where})"
            : $"a Tend already supervises this container ({where}): a second one would start every service again";
        return $"{what}; nothing was started. To run a second supervisor on purpose, " +
            "give it a control socket of its own (--control-socket PATH) or --no-control";
    }

    /// <summary>
    /// Whether PID 1 runs this program: its executable when readable, else its command line's program name or its
    /// <c>comm</c> against this process's own; null when none of them can be read (hidepid), false as PID 1 itself.
    /// </summary>
    public static bool? Pid1IsTend()
    {
        if (Libc.getpid() == 1) return false;
        if (Link("/proc/1/exe") is { } exe) return exe == Link("/proc/self/exe");
        var self = Names("/proc/self");
        var pid1 = Names("/proc/1");
        if (pid1.Program is null && pid1.Comm is null) return null;
        return (pid1.Program is not null && pid1.Program == self.Program) || (pid1.Comm is not null && pid1.Comm == self.Comm);
    }

    /// <summary>The uid a running Tend (PID 1) runs as, when PID 1 is one (for the client's messages), else null.</summary>
    public static uint? Pid1TendUid() => Pid1IsTend() == true ? ControlSocketPaths.Pid1Uid() : null;

    /// <summary>
    /// With PID 1 hidden (hidepid): the first socket file among the places root's or PID 1's owner's Tend puts it
    /// (the owner of /proc/1 stays visible with hidepid=1), else null.
    /// </summary>
    private static string? HiddenSocket()
    {
        var owner = Libc.Owner("/proc/1")?.Uid;
        var candidates = ControlSocketPaths.For(0).Concat(owner is { } uid and not 0 ? ControlSocketPaths.For(uid) : []);
        return candidates.FirstOrDefault(p => Libc.FileType(p) == Libc.S_IFSOCK);
    }

    private static string? Link(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// A process's program name (the base name of argv[0], or of argv[1] when the program is the <c>dotnet</c> host)
    /// and its <c>comm</c> (proc(5): the executable's base name, 15 bytes at most); null for what cannot be read.
    /// </summary>
    private static (string? Program, string? Comm) Names(string dir)
    {
        string? program = null, comm = null;
        try
        {
            var argv = Encoding.UTF8.GetString(File.ReadAllBytes(dir + "/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (argv.Length > 0)
                program = Path.GetFileName(argv[0]) == "dotnet" && argv.Length > 1 ? Path.GetFileName(argv[1]) : Path.GetFileName(argv[0]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        try { comm = File.ReadAllText(dir + "/comm").TrimEnd('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (comm == "dotnet") comm = null; // every framework-dependent program is "dotnet"
        return (program is { Length: > 0 } ? program : null, comm is { Length: > 0 } ? comm : null);
    }
}
