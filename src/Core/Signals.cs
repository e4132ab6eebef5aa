using System;
namespace Tend;

/// <summary>Linux signal names and numbers (x86_64 and arm64 share them).</summary>
internal static class Signals
{
    private static readonly string[] Names =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>The numbers the code names (signal(7); Posix.Libc takes its own from here).</summary>
    internal const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15, SIGCONT = 18,
        SIGSTOP = 19, SIGWINCH = 28;

    /// <summary>A shell's exit code for a process ended by signal N is this plus N (bash(1), "EXIT STATUS").</summary>
    internal const int ShellCodeBase = 128;

    /// <summary>That rule, as the help texts say it.</summary>
    internal const string ShellCodeRule = "128+N for signal N";

    /// <summary>The accepted forms, for error messages.</summary>
    public const string Expected = "a signal name such as SIGTERM, TERM, SIGQUIT or INT, or a number from 1 to 64";

    /// <summary>Parses <c>SIGTERM</c>, <c>TERM</c>, <c>term</c> or <c>15</c>.</summary>
    public static bool TryParse(string? text, out int signal)
    {
        signal = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text!.Trim();
        if (int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            signal = n;
            return n is >= 1 and <= 64;
        }
        s = s.ToUpperInvariant();
        if (!s.StartsWith("SIG", StringComparison.Ordinal)) s = "SIG" + s;
        var i = Array.IndexOf(Names, s);
        if (i <= 0) return false;
        signal = i;
        return true;
    }

    /// <summary>The name of a signal number: 15 gives <c>SIGTERM</c>.</summary>
    public static string Name(int signal) => signal > 0 && signal < Names.Length ? Names[signal] : $"SIG{signal}";
}
