using System.Runtime.InteropServices;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// The signals Tend handles: SIGTERM, SIGINT and SIGQUIT stop everything (a second one kills what is left); SIGHUP,
/// SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to the services. Never SIGCHLD: registering it would let the .NET
/// runtime reap Tend's children itself (design notes: dotnet/runtime pal_signal.c).
/// </summary>
internal static class TendSignals
{
    /// <summary>The signals forwarded to the services, in the order the help text names them.</summary>
    internal static readonly int[] Forwarded = [Libc.SIGHUP, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGWINCH];

    /// <summary>Whether <paramref name="signal"/> is forwarded to the services rather than a request to stop.</summary>
    public static bool IsForwarded(int signal) => Forwarded.Contains(signal);

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
