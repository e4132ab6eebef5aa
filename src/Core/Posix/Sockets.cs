using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Tend.Posix;

/// <summary>
/// The few socket calls Tend needs — a Unix stream socket for control, a non-blocking TCP connect for readiness —
/// straight on libc. System.Net.Sockets would do the same, but it brings an event-loop thread and half a megabyte of
/// code into PID 1, whose memory is a published figure (bench/): this file is what it costs instead.
/// </summary>
internal static unsafe partial class Sockets
{
    private const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_PEERCRED = 17, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21;
    private const int MSG_NOSIGNAL = 0x4000, SHUT_WR = 1, SHUT_RDWR = 2;

    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int bind(int fd, void* addr, int len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int listen(int fd, int backlog);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int accept4(int fd, void* addr, void* len, int flags);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int connect(int fd, void* addr, int len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial nint recv(int fd, byte* buffer, nint len, int flags);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial nint send(int fd, byte* buffer, nint len, int flags);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int shutdown(int fd, int how);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int setsockopt(int fd, int level, int name, void* value, int len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int getsockopt(int fd, int level, int name, void* value,
        int* len);
    [LibraryImport(Libc.Lib, SetLastError = true)] private static partial int getsockname(int fd, void* addr, int* len);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal { public long Seconds; public long Microseconds; }

    /// <summary>A socket error as an exception, with errno for callers that branch on it.</summary>
    public sealed class SocketFailure(int errno, string what) : IOException($"{what}: {Libc.ErrorText(errno)}")
    {
        public int Errno { get; } = errno;
    }

    private static int Check(int rc, string what) => rc >= 0 ? rc : throw new SocketFailure(Libc.LastError, what);

    /// <summary>
    /// Closes a socket on a path that already failed. Its result is ignored: the first error is the one reported, and
    /// Linux releases the descriptor even when close returns one (close(2)), so there is nothing to retry.
    /// </summary>
    private static void CloseAfterFailure(int fd) => _ = Libc.close(fd);

    /// <summary>Fills a sockaddr_un; the path must fit its 108 bytes.</summary>
    private static int UnixAddress(string path, byte* addr)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length > 107) throw new SocketFailure(Libc.ENAMETOOLONG, $"the socket path {path} is longer than 107 bytes");
        new Span<byte>(addr, 110).Clear();
        *(ushort*)addr = AF_UNIX;
        bytes.CopyTo(new Span<byte>(addr + 2, 108));
        return 2 + bytes.Length + 1;
    }

    /// <summary>A listening Unix stream socket at <paramref name="path"/> (close-on-exec).</summary>
    public static int Listen(string path, int backlog)
    {
        var fd = Check(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
        byte* addr = stackalloc byte[110];
        var len = UnixAddress(path, addr);
        if (bind(fd, addr, len) != 0 || listen(fd, backlog) != 0)
        {
            var errno = Libc.LastError;
            CloseAfterFailure(fd);
            throw new SocketFailure(errno, $"cannot listen on {path}");
        }
        return fd;
    }

    /// <summary>A connected Unix stream socket, or an exception with errno (ENOENT, EACCES, ECONNREFUSED…).</summary>
    public static int ConnectUnix(string path)
    {
        var fd = Check(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
        byte* addr = stackalloc byte[110];
        var len = UnixAddress(path, addr);
        int rc;
        do rc = connect(fd, addr, len); while (rc != 0 && Libc.LastError == Libc.EINTR);
        if (rc != 0)
        {
            var errno = Libc.LastError;
            CloseAfterFailure(fd);
            throw new SocketFailure(errno, $"cannot connect to {path}");
        }
        return fd;
    }

    /// <summary>Waits for a connection; -1 when the listener was shut down.</summary>
    public static int Accept(int listener)
    {
        while (true)
        {
            var fd = accept4(listener, null, null, SOCK_CLOEXEC);
            if (fd >= 0) return fd;
            var errno = Libc.LastError;
            if (errno is Libc.EINTR or Libc.ECONNABORTED) continue;
            if (errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM) { Thread.Sleep(10); continue; } // do not spin
            return -1;
        }
    }

    /// <summary>Wakes a thread blocked in <see cref="Accept"/> (Linux returns EINVAL from accept after this).</summary>
    /// <exception cref="SocketFailure">The listener could not be shut (not a socket: a bug); its thread stays in accept.</exception>
    public static void ShutdownListener(int listener) => Check(shutdown(listener, SHUT_RDWR), "cannot shut the control socket's listener");

    /// <summary>Ends the sending side once a reply is out, so the peer reads the end of the stream.</summary>
    public static void ShutdownWrite(int fd) =>
        // Ignored: it fails only when the peer is already gone (ENOTCONN), and the close that follows ends the
        // connection either way.
        _ = shutdown(fd, SHUT_WR);

    /// <summary>Receive and send timeouts, so that a silent peer cannot hold a thread for long.</summary>
    public static void SetTimeouts(int fd, TimeSpan receive, TimeSpan send)
    {
        foreach (var (name, t) in new[] { (SO_RCVTIMEO, receive), (SO_SNDTIMEO, send) })
        {
            var tv = new TimeVal { Seconds = (long)t.TotalSeconds, Microseconds = t.Milliseconds * 1000L + t.Microseconds };
            // Without them a silent peer holds a thread for ever: failing here (a bad descriptor) is a bug to see.
            Check(setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(TimeVal)), "cannot set a socket timeout");
        }
    }

    /// <summary>Reads what is there: the count, 0 at end of stream, -1 with errno EAGAIN on timeout.</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = recv(fd, p, buffer.Length, 0);
                if (n >= 0) return (int)n;
                var errno = Libc.LastError;
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.EAGAIN) return -1;
                throw new SocketFailure(errno, "recv");
            }
        }
    }

    /// <summary>Sends all of <paramref name="data"/> (no SIGPIPE when the peer is gone); false when it could not.</summary>
    public static bool SendAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = send(fd, p + done, data.Length - done, MSG_NOSIGNAL);
                if (n < 0 && Libc.LastError == Libc.EINTR) continue;
                if (n <= 0) return false;
                done += (int)n;
            }
            return true;
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/> on a blocking socket, giving up when the peer takes nothing for
    /// <paramref name="idle"/> (a send timeout would restart at each partial send, so a client taking a few bytes
    /// now and then, or a large buffer sent in pieces, would hold the thread for a multiple of it). False when the
    /// peer is gone or idle.
    /// </summary>
    public static bool SendAll(int fd, ReadOnlySpan<byte> data, TimeSpan idle)
    {
        const int MSG_DONTWAIT = 0x40;
        var pollFd = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        var since = Environment.TickCount64;
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = send(fd, p + done, data.Length - done, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0)
                {
                    done += (int)n;
                    since = Environment.TickCount64;
                    continue;
                }
                var errno = Libc.LastError;
                if (n < 0 && errno == Libc.EINTR) continue;
                if (n == 0 || errno != Libc.EAGAIN) return false;
                var left = (long)idle.TotalMilliseconds - (Environment.TickCount64 - since);
                if (left <= 0) return false;
                pollFd.Revents = 0;
                _ = Libc.poll(&pollFd, 1, (int)Math.Min(left, int.MaxValue));
            }
            return true;
        }
    }

    /// <summary>The peer's uid (SO_PEERCRED), or null.</summary>
    public static uint? PeerUid(int fd)
    {
        int* cred = stackalloc int[3]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var len = 12;
        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0 && len == 12 ? (uint)cred[1] : null;
    }

    /// <summary>Fills a sockaddr_in or sockaddr_in6 (28 bytes at <paramref name="addr"/>); returns its length.</summary>
    private static int InetAddress(IPAddress address, int port, byte* addr)
    {
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        new Span<byte>(addr, 28).Clear();
        *(ushort*)addr = (ushort)(v6 ? AF_INET6 : AF_INET);
        addr[2] = (byte)(port >> 8);
        addr[3] = (byte)port;
        address.TryWriteBytes(new Span<byte>(addr + (v6 ? 8 : 4), v6 ? 16 : 4), out _);
        if (v6) *(uint*)(addr + 24) = (uint)address.ScopeId;
        return v6 ? 28 : 16;
    }

    /// <summary>
    /// A listening, non-blocking TCP socket on <paramref name="address"/>:<paramref name="port"/> (0: the kernel picks a
    /// free port; <see cref="LocalPort"/> tells which). SO_REUSEADDR, so a restarted Tend binds again at once.
    /// </summary>
    /// <exception cref="SocketFailure">It cannot bind or listen (EADDRINUSE, EADDRNOTAVAIL, EACCES…).</exception>
    public static int ListenTcp(IPAddress address, int port, int backlog)
    {
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var fd = Check(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        byte* addr = stackalloc byte[28];
        var len = InetAddress(address, port, addr);
        var one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) != 0 || bind(fd, addr, len) != 0 || listen(fd, backlog) != 0)
        {
            var errno = Libc.LastError;
            CloseAfterFailure(fd);
            throw new SocketFailure(errno, $"cannot listen on {(v6 ? $"[{address}]" : address.ToString())}:{port}");
        }
        return fd;
    }

    /// <summary>The local port a TCP socket is bound to, or 0.</summary>
    public static int LocalPort(int fd)
    {
        byte* addr = stackalloc byte[28];
        var len = 28;
        return getsockname(fd, addr, &len) == 0 ? (addr[2] << 8) | addr[3] : 0;
    }

    /// <summary>
    /// Takes one waiting connection from a non-blocking listener, itself non-blocking: its descriptor, -1 when none
    /// waits (EAGAIN), or -2 when the kernel could not give one now (EMFILE, ENFILE, ENOBUFS, ENOMEM: the caller waits
    /// before it tries again, or it would spin on a listener that stays readable). A connection the peer already reset
    /// (ECONNABORTED) is skipped.
    /// </summary>
    public static int TryAccept(int listener)
    {
        while (true)
        {
            var fd = accept4(listener, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) return fd;
            var errno = Libc.LastError;
            if (errno is Libc.EINTR or Libc.ECONNABORTED) continue;
            return errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM ? -2 : -1;
        }
    }

    /// <summary>Sends what the socket takes now without blocking: the count sent, 0 when it takes nothing yet (EAGAIN), -1 when the peer is
    /// gone.</summary>
    public static int TrySend(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                var n = send(fd, p, data.Length, MSG_NOSIGNAL);
                if (n >= 0) return (int)n;
                var errno = Libc.LastError;
                if (errno == Libc.EINTR) continue;
                return errno == Libc.EAGAIN ? 0 : -1;
            }
        }
    }

    /// <summary>Reads what is there without blocking: the count, 0 at end of stream, -1 when nothing is there yet (EAGAIN), -2 on an error
    /// (a reset).</summary>
    public static int TryReceive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = recv(fd, p, buffer.Length, 0);
                if (n >= 0) return (int)n;
                var errno = Libc.LastError;
                if (errno == Libc.EINTR) continue;
                return errno == Libc.EAGAIN ? -1 : -2;
            }
        }
    }

    /// <summary>
    /// Starts a non-blocking TCP connect. Returns the socket and whether it is already connected; null when it was
    /// refused at once (nothing listens yet).
    /// </summary>
    public static (int Fd, bool Connected)? StartConnect(IPAddress address, int port)
    {
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var fd = Check(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        byte* addr = stackalloc byte[28];
        var rc = connect(fd, addr, InetAddress(address, port, addr));
        if (rc == 0) return (fd, true);
        var errno = Libc.LastError;
        if (errno is Libc.EINPROGRESS or Libc.EINTR) return (fd, false);
        CloseAfterFailure(fd);
        return null;
    }

    /// <summary>For a connect in progress: null while pending, 0 once connected, else the errno it failed with (SO_ERROR).</summary>
    public static int? ConnectError(int fd)
    {
        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        if (Libc.poll(&pfd, 1, 0) <= 0) return null;
        int error = -1, len = sizeof(int);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return Libc.LastError;
        return error;
    }

    /// <summary>For a connect in progress: null while pending, else whether it succeeded.</summary>
    public static bool? ConnectResult(int fd)
    {
        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        // poll failing (EINTR, ENOMEM) is "not yet": the caller asks again at its next look.
        if (Libc.poll(&pfd, 1, 0) <= 0) return null;
        int error = -1, len = sizeof(int);
        // A socket whose error cannot be read is one the check cannot use: the attempt failed.
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return false;
        return error == 0;
    }
}
