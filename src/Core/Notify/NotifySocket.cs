using System.Runtime.InteropServices;
using System.Text;
using Tend.Posix;

namespace Tend.Notify;

/// <summary>
/// The datagram sockets of the sd_notify protocol (sd_notify(3)), straight on libc as <see cref="Sockets"/> is: the
/// one Tend listens on for its services (SO_PASSCRED, so the kernel says which process sent each datagram —
/// unix(7), SCM_CREDENTIALS), and sending one datagram to the socket Tend itself was given.
/// </summary>
internal static unsafe partial class NotifySocket
{
    private const int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1, SO_PASSCRED = 16, SO_RCVBUF = 8, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
    private const int MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x8, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;

    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int bind(int fd, void* addr, int len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int setsockopt(int fd, int level, int name, void* value, int len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial nint recvmsg(int fd, MsgHdr* msg, int flags);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial nint sendto(int fd, byte* buffer, nint len, int flags, void* addr,
        int addrLen);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec { public void* Base; public nuint Length; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name; public int NameLength;
        public IoVec* Iov; public nuint IovLength;
        public void* Control; public nuint ControlLength;
        public int Flags;
    }

    /// <summary>
    /// Room for the ancillary data of one datagram (bytes): a struct ucred (CMSG_SPACE(12) = 32) and an SCM_RIGHTS
    /// message of SCM_MAX_FD (253) descriptors (CMSG_SPACE(1012) = 1032), so a datagram's descriptors all arrive and are
    /// closed here. Were there more, unix(7) says the excess descriptors are closed by the kernel (MSG_CTRUNC), never
    /// installed in Tend.
    /// </summary>
    private const int ControlBytes = 32 + 1032 + 64;

    /// <summary>
    /// Fills a sockaddr_un for <paramref name="address"/>: a path, or an abstract name written <c>@name</c> (unix(7); the
    /// form systemd's NOTIFY_SOCKET takes). Returns the address length, or -1 when it does not fit 108 bytes.
    /// </summary>
    internal static int Address(string address, byte* addr)
    {
        var abstractName = address.StartsWith('@');
        var bytes = Encoding.UTF8.GetBytes(abstractName ? address[1..] : address);
        if (bytes.Length > 107 || bytes.Length == 0) return -1;
        new Span<byte>(addr, 110).Clear();
        *(ushort*)addr = AF_UNIX;
        // An abstract name is a NUL then the name's bytes, its length exactly those (no trailing NUL).
        bytes.CopyTo(new Span<byte>(addr + 2 + (abstractName ? 1 : 0), 107));
        return 2 + bytes.Length + 1;
    }

    /// <summary>
    /// A non-blocking, close-on-exec datagram socket bound to <paramref name="address"/> (an abstract <c>@name</c> or a
    /// path) that receives each sender's credentials. Its receive buffer is raised to 1 MiB where allowed, so a burst of
    /// a few thousand datagrams waits for the next round instead of being refused to its senders.
    /// </summary>
    /// <exception cref="Sockets.SocketFailure">The socket cannot be made or bound (EADDRINUSE: the name is taken).</exception>
    public static int Listen(string address)
    {
        var fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new Sockets.SocketFailure(Libc.LastError, "cannot make the notify socket");
        var one = 1;
        var size = 1 << 20;
        byte* addr = stackalloc byte[110];
        var len = Address(address, addr);
        if (len < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(int)) != 0 || bind(fd, addr, len) != 0)
        {
            var errno = len < 0 ? Libc.ENAMETOOLONG : Libc.LastError;
            _ = Libc.close(fd); // nothing to retry: the first error is the one reported
            throw new Sockets.SocketFailure(errno, $"cannot listen on the notify socket {address}");
        }
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(int)); // capped by net.core.rmem_max: a smaller buffer still works
        return fd;
    }

    /// <summary>How one receive ended.</summary>
    public enum Outcome { Empty, Datagram, Oversized, NoSender }

    /// <summary>
    /// Takes one datagram without waiting: <see cref="Outcome.Datagram"/> with its length in <paramref name="length"/>
    /// and its sender's pid (as this PID namespace sees it) and uid (SCM_CREDENTIALS, unix(7): stamped by the kernel at
    /// send time, so still true when the sender has exited since); <see cref="Outcome.Oversized"/> for one longer than
    /// <paramref name="buffer"/> (taken off the queue, its real length in <paramref name="length"/>);
    /// <see cref="Outcome.NoSender"/> without credentials or from outside this PID namespace (pid 0);
    /// <see cref="Outcome.Empty"/> when none waits. File descriptors the datagram carried (SCM_RIGHTS: systemd-notify's
    /// BARRIER=1 pipe, FDSTORE=1) are closed at once whatever the outcome, their count in <paramref name="fds"/>.
    /// </summary>
    /// <exception cref="Sockets.SocketFailure">recvmsg failed otherwise than EAGAIN or EINTR.</exception>
    public static Outcome Receive(int fd, Span<byte> buffer, out int length, out int pid, out uint uid, out int fds)
    {
        length = 0;
        pid = 0;
        uid = 0;
        fds = 0;
        var control = stackalloc byte[ControlBytes];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlBytes };
            nint n;
            do n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
            while (n < 0 && Libc.LastError == Libc.EINTR);
            if (n < 0)
            {
                var errno = Libc.LastError;
                if (errno == Libc.EAGAIN) return Outcome.Empty;
                throw new Sockets.SocketFailure(errno, "cannot read the notify socket");
            }
            // Walk the control messages (cmsg(3): CMSG_FIRSTHDR/CMSG_NXTHDR, 8-byte aligned on 64-bit Linux).
            var haveCred = false;
            var used = (int)Math.Min(msg.ControlLength, (nuint)ControlBytes);
            for (var at = 0; at + 16 <= used;)
            {
                var len = (int)Math.Min(*(nuint*)(control + at), (nuint)(used - at));
                if (len < 16) break;
                var level = *(int*)(control + at + 8);
                var type = *(int*)(control + at + 12);
                if (level == SOL_SOCKET && type == SCM_RIGHTS)
                {
                    for (var k = 16; k + 4 <= len; k += 4)
                    {
                        _ = Libc.close(*(int*)(control + at + k)); // never kept: Tend stores no descriptors
                        fds++;
                    }
                }
                else if (level == SOL_SOCKET && type == SCM_CREDENTIALS && len >= 16 + 12)
                {
                    pid = *(int*)(control + at + 16);
                    uid = *(uint*)(control + at + 20);
                    haveCred = true;
                }
                at += (len + 7) & ~7;
            }
            length = (int)Math.Min(n, int.MaxValue); // with MSG_TRUNC, the datagram's real length (unix(7), recv(2))
            if (n > buffer.Length || (msg.Flags & MSG_TRUNC) != 0) return Outcome.Oversized;
            // MSG_CTRUNC (more descriptors than the room above): the credentials come first (scm_recv), so they stand.
            if (!haveCred || pid <= 0) return Outcome.NoSender;
            return Outcome.Datagram;
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> as one datagram to <paramref name="address"/> (a path or <c>@name</c>), without
    /// waiting: what sd_notify(3) does. Returns null when sent, else why not (the socket is gone, or full).
    /// </summary>
    public static string? Send(string address, ReadOnlySpan<byte> message)
    {
        byte* addr = stackalloc byte[110];
        var len = Address(address, addr);
        if (len < 0) return $"the address '{address}' is not a Unix socket address (at most 107 bytes)";
        var fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return $"cannot make a socket: {Libc.ErrorText(Libc.LastError)}";
        try
        {
            fixed (byte* p = message)
            {
                nint n;
                do n = sendto(fd, p, message.Length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, len);
                while (n < 0 && Libc.LastError == Libc.EINTR);
                return n < 0 ? $"cannot send to {address}: {Libc.ErrorText(Libc.LastError)}" : null;
            }
        }
        finally
        {
            _ = Libc.close(fd); // Linux releases the descriptor whatever close returns
        }
    }
}
