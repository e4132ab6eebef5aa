using System.Runtime.InteropServices;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The signals Tend handles: SIGTERM, SIGINT and SIGQUIT stop everything (a second one kills what is left); SIGHUP,
/// SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to the services (which ones: <see cref="Reaches"/>). Never SIGCHLD: registering it would let
/// the .NET
/// runtime reap Tend's children itself (design notes: dotnet/runtime pal_signal.c).
/// </summary>
internal static class TendSignals
{
    /// <summary>The signals forwarded to the services, in the order the help text names them.</summary>
    internal static readonly int[] Forwarded = [Libc.SIGHUP, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGWINCH];

    /// <summary>Whether <paramref name="signal"/> is forwarded to the services rather than a request to stop.</summary>
    public static bool IsForwarded(int signal) => Forwarded.Contains(signal);

    /// <summary>
    /// Whether a forwarded <paramref name="signal"/> goes to <paramref name="spec"/>. SIGWINCH is a terminal's signal
    /// (tty_ioctl(4): TIOCSWINSZ sends it to the terminal's foreground group): only the service that holds the terminal
    /// (<paramref name="terminal"/>: Tend's stdin is one, and the service reads it) gets it, never a daemon — Apache
    /// (httpd(8): graceful-stop) and nginx (its master stops its workers) treat SIGWINCH as a stop. SIGHUP, SIGUSR1
    /// and SIGUSR2 are an operator's reload and reopen-logs requests (docker kill -s HUP): every service but the one
    /// that holds the terminal gets them — a shell exits on SIGHUP, and its terminal's signals reach it from the kernel.
    /// tini and dumb-init forward every signal to their one child; Tend has many, so each signal goes where it means
    /// what the sender meant (one service: tend signal NAME SIGNAL).
    /// </summary>
    public static bool Reaches(int signal, ServiceSpec spec, bool terminal)
    {
        var holdsTerminal = terminal && spec.Stdin;
        return signal == Libc.SIGWINCH ? holdsTerminal : !holdsTerminal;
    }

    /// <summary>Registers every signal Tend handles; <paramref name="received"/> is called (on the runtime's signal thread) with its
    /// number.</summary>
    public static List<PosixSignalRegistration> Register(Action<int> received)
    {
        var list = new List<PosixSignalRegistration>();
        // PosixSignal's named members are negative abstractions; other signals are passed as raw numbers.
        void On(PosixSignal registration, int signal) =>
            list.Add(PosixSignalRegistration.Create(registration, ctx =>
            {
                ctx.Cancel = true;
                received(signal);
            }));
        On(PosixSignal.SIGTERM, Libc.SIGTERM);
        On(PosixSignal.SIGINT, Libc.SIGINT);
        On(PosixSignal.SIGQUIT, Libc.SIGQUIT);
        On(PosixSignal.SIGHUP, Libc.SIGHUP);
        foreach (var s in Forwarded)
            if (s != Libc.SIGHUP) On((PosixSignal)s, s);
        return list;
    }
}
