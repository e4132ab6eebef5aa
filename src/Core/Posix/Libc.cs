using System.Runtime.InteropServices;

namespace Tend.Posix;

/// <summary>The few libc calls the supervisor needs, bound at compile time (AOT-friendly).</summary>
internal static unsafe partial class Libc
{
    /// <summary>glibc, by its soname: every binding in Tend names it through this constant.</summary>
    /// <remarks>The executables that link Tend NativeAOT name it once more, as MSBuild's <c>DirectPInvoke</c>.</remarks>
    public const string Lib = "libc.so.6";

    // errno values (asm-generic/errno-base.h and errno.h: the same on x86_64 and arm64). The one home of these
    // numbers in Tend: compare LastError with them, never with a literal.
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
        ENFILE = 23, EMFILE = 24, EROFS = 30, ENAMETOOLONG = 36, ECONNABORTED = 103, ENOBUFS = 105, ECONNREFUSED = 111, EINPROGRESS = 115;

    // Signal numbers (the generic Linux set, shared by x86_64 and arm64; Signals.Name gives their names). Signal 0
    // sends nothing: kill(pid, NoSignal) only asks whether pid exists and may be signalled.
    public const int NoSignal = 0;
    public const int SIGHUP = Signals.SIGHUP, SIGINT = Signals.SIGINT, SIGQUIT = Signals.SIGQUIT, SIGKILL = Signals.SIGKILL,
        SIGUSR1 = Signals.SIGUSR1, SIGUSR2 = Signals.SIGUSR2, SIGCONT = Signals.SIGCONT, SIGSTOP = Signals.SIGSTOP,
        SIGTERM = Signals.SIGTERM, SIGWINCH = Signals.SIGWINCH;
    public const int P_ALL = 0, P_PID = 1;
    public const int WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1, POLLOUT = 0x4, POLLHUP = 0x10, POLLERR = 0x8;
    public const int X_OK = 1;

    /// <summary>glibc x86_64/arm64 siginfo_t is 128 bytes; the SIGCHLD fields sit at fixed offsets.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(20)] public int Uid;
        [FieldOffset(24)] public int Status;
    }

    [StructLayout(LayoutKind.Sequential, Size = 128)]
    public struct SigSet { private long _first; }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigdefault(void* attr, SigSet* set);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigmask(void* attr, SigSet* set);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);
    /// <summary>glibc 2.34 and later; older ones lack the symbol (see <see cref="Spawner"/>).</summary>
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);
    /// <summary>glibc 2.35 and later: the child's process group becomes the terminal's foreground group before exec.</summary>
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addtcsetpgrp_np(void* actions, int tcfd);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);
    [LibraryImport(Lib)] public static partial int isatty(int fd);
    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    [LibraryImport(Lib)] public static partial int sigemptyset(SigSet* set);
    [LibraryImport(Lib)] public static partial int sigfillset(SigSet* set);

    [LibraryImport(Lib, SetLastError = true)] public static partial int waitid(int idType, int id, SigInfo* info, int options);
    [LibraryImport(Lib, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Lib)] public static partial int getpid();
    [LibraryImport(Lib)] public static partial uint geteuid();
    [LibraryImport(Lib)] public static partial uint umask(uint mask);
    [LibraryImport(Lib)] public static partial int getpgrp();
    [LibraryImport(Lib, SetLastError = true)] public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nint count);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport(Lib, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Lib, SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int fcntl(int fd, int cmd, int arg);

    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800, O_NONBLOCK = 0x800;
    public const int F_SETFL = 4, F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032, F_SETPIPE_SZ = 1031;
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int open(string path,
        int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int open(byte* path, int flags);

    public const int O_RDONLY = 0, O_WRONLY = 1;

    /// <summary>/dev/null for writing (close-on-exec: posix_spawn's dup2 hands a copy to the child).</summary>
    public static int OpenDevNull() => open("/dev/null", O_WRONLY | O_CLOEXEC);

    /// <summary>
    /// /dev/null for reading, the services' stdin, on a descriptor above 2 (close-on-exec: posix_spawn's dup2 hands a
    /// copy to the child). Above 2 so that, when Tend was started with fd 0 closed, it is not fd 0 itself.
    /// </summary>
    public static int OpenDevNullForReading()
    {
        var fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd is < 0 or > 2) return fd;
        var high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        return high;
    }
    [LibraryImport(Lib, SetLastError = true)] public static partial int poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint readlink(byte* path, byte* buffer, nint size);
    [LibraryImport(Lib, SetLastError = true)] private static partial long syscall(long number, int a, int b, nint c, uint d);

    // pidfd_open(2) and pidfd_send_signal(2) (Linux 5.3 and 5.1): one number on every architecture (the unified
    // syscall table), called through syscall(2) so that an older glibc without the wrappers still runs Tend.
    private const long SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434;
    public const int ENOSYS = 38;

    /// <summary>A descriptor that refers to process <paramref name="pid"/> for as long as it is open, whatever reuses the pid
    /// (pidfd_open(2)); -1 with errno.</summary>
    public static int pidfd_open(int pid) => (int)syscall(SYS_pidfd_open, pid, 0, 0, 0);

    /// <summary>Sends <paramref name="signal"/> to the process <paramref name="pidfd"/> refers to (pidfd_send_signal(2)); ESRCH once it has
    /// ended.</summary>
    public static int pidfd_send_signal(int pidfd, int signal) => (int)syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0);
    [LibraryImport(Lib, SetLastError = true)] public static partial int access(byte* path, int mode);
    [LibraryImport(Lib)] public static partial nint strerror(int errnum);
    [LibraryImport(Lib, SetLastError = true)] public static partial int clock_gettime(int clock, TimeSpec* ts);
    [LibraryImport(Lib, SetLastError = true)] public static partial long sysconf(int name);

    public const int CLOCK_BOOTTIME = 7, _SC_CLK_TCK = 2, RLIMIT_NOFILE = 7, RLIMIT_RTTIME = 15;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit { public ulong Soft; public ulong Hard; }

    [LibraryImport(Lib, SetLastError = true)] public static partial int getrlimit(int resource, RLimit* limit);
    [LibraryImport(Lib, SetLastError = true)] public static partial int setrlimit(int resource, RLimit* limit);

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec { public long Seconds; public long Nanoseconds; }

    public const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFDIR = 0x4000, S_IFREG = 0x8000;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_NO_AUTOMOUNT = 0x800;
    private const uint STATX_TYPE = 1, STATX_INO = 0x100, STATX_MNT_ID = 0x1000;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string path);

    public const int EEXIST = 17;

    /// <summary>
    /// The mode (type and permission bits) and owner of <paramref name="path"/> itself (a link is not followed), or
    /// null when nothing is there (or it cannot be looked at: errno says why). statx(2): stx_uid at offset 20.
    /// </summary>
    public static (int Mode, uint Uid)? Owner(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, buffer) != 0) return null;
        return (*(ushort*)(buffer + 28), *(uint*)(buffer + 20));
    }

    private const int STATX_MODE = 2, STATX_UID = 8;

    /// <summary>
    /// The file type bits (S_IFMT) of <paramref name="path"/> itself (a link is not followed), or 0 when nothing is
    /// there. statx(2) has one layout on every architecture: stx_mode is the 16 bits at offset 28.
    /// </summary>
    public static int FileType(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, buffer) != 0) return 0;
        return *(ushort*)(buffer + 28) & S_IFMT;
    }

    /// <summary>What <see cref="Identify"/> tells of a path itself (a link is not followed).</summary>
    /// <param name="Type">The file type bits (S_IFMT).</param>
    /// <param name="Device">The filesystem's device, major &lt;&lt; 32 | minor (st_dev).</param>
    /// <param name="Inode">st_ino.</param>
    /// <param name="MountId">The id of the mount that holds it, as in /proc/self/mountinfo's first field; 0 when the
    /// kernel does not say (STATX_MNT_ID came with Linux 5.8).</param>
    public readonly record struct FileIdentity(int Type, ulong Device, ulong Inode, ulong MountId);

    /// <summary>
    /// The identity of <paramref name="path"/> itself, without following a link or triggering an automount; false with
    /// errno in <paramref name="errno"/> when it cannot be read. statx(2) has one layout on every architecture:
    /// stx_mask at 0, stx_mode at 28, stx_ino at 32, stx_dev_major/minor at 136/140, stx_mnt_id at 144.
    /// </summary>
    public static bool Identify(string path, out FileIdentity identity, out int errno)
    {
        var buffer = stackalloc byte[256];
        identity = default;
        errno = 0;
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO | STATX_MNT_ID, buffer) != 0)
        {
            errno = LastError;
            return false;
        }
        var mask = *(uint*)buffer;
        var device = (ulong)*(uint*)(buffer + 136) << 32 | *(uint*)(buffer + 140);
        identity = new FileIdentity(*(ushort*)(buffer + 28) & S_IFMT, device, *(ulong*)(buffer + 32),
            (mask & STATX_MNT_ID) != 0 ? *(ulong*)(buffer + 144) : 0);
        return true;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";

    /// <summary>A libc call that failed where going on would be wrong: what was attempted, and errno.</summary>
    public sealed class Failure(int errno, string what) : IOException(Say(errno, what))
    {
        public int Errno { get; } = errno;

        /// <summary>What failed, in Tend's own words and strerror's (no resource key: safe to print as it is).</summary>
        public string Text { get; } = Say(errno, what);

        private static string Say(int errno, string what) => $"{what}: {ErrorText(errno)} (errno {errno})";
    }

    /// <summary>The result of a call that returns -1 and sets errno on failure; throws <see cref="Failure"/> then.</summary>
    public static int Check(int rc, string what) => rc >= 0 ? rc : throw new Failure(LastError, what);
}
