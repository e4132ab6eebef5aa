using System.Runtime.InteropServices;
using Tend.Logging;

namespace Tend.Export;

/// <summary>
/// Replaces the process with another program (<c>execvp</c>: same pid, so a container's PID 1 stays PID 1), for
/// <c>tend wait-for … -- PROGRAM</c>. The program starts as from a fresh spawn: no signal blocked and SIGPIPE at its
/// default (the .NET runtime ignores it, and an ignored signal stays ignored across exec: signal(7)).
/// </summary>
internal static unsafe partial class Exec
{
    private const int SIG_SETMASK = 2, SIGPIPE = 13, ENOENT = 2;

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execvp(string file, byte** argv);

    [LibraryImport("libc.so.6")]
    private static partial int sigprocmask(int how, ulong* set, ulong* old);

    [LibraryImport("libc.so.6")]
    private static partial nint signal(int signum, nint handler);

    /// <summary>Becomes <paramref name="argv"/>[0] with these arguments; returns only when it cannot (then 127, said on stderr).</summary>
    public static int Replace(string[] argv)
    {
        var handles = argv.Select(a => Marshal.StringToCoTaskMemUTF8(a)).ToArray();
        try
        {
            var array = stackalloc byte*[argv.Length + 1];
            for (var i = 0; i < argv.Length; i++) array[i] = (byte*)handles[i];
            array[argv.Length] = null;
            // The kernel's sigset is 64 bits; glibc's sigprocmask reads 1024, so give it a whole, empty glibc set.
            var empty = stackalloc ulong[16];
            // Both fail only for invalid arguments, which these are not; the exec that follows says what went wrong.
            _ = sigprocmask(SIG_SETMASK, empty, null);
            _ = signal(SIGPIPE, 0);
            _ = execvp(argv[0], array); // returns only on failure (-1, errno)
            var errno = Marshal.GetLastPInvokeError();
            FdWriter.Write(2,
                $"tend: error: cannot run '{argv[0]}': {(errno == ENOENT ? "no such program (give its path, or put it on " +
                    "PATH)" : Marshal.GetPInvokeErrorMessage(errno))}\n");
            return 127;
        }
        finally { foreach (var h in handles) Marshal.FreeCoTaskMem(h); }
    }
}
