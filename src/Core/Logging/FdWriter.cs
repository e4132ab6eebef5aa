using System.Buffers;
using System.Text;
using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// Writes straight to a file descriptor with write(2). The supervisor never touches System.Console: under a
/// terminal that makes the .NET runtime install a SIGCHLD handler which, in PID 1, reaps Tend's children itself.
/// </summary>
internal static unsafe class FdWriter
{
    /// <summary>Writes all of <paramref name="bytes"/> (retrying on EINTR and short writes); false when the fd is gone.</summary>
    public static bool Write(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            var p = start;
            var left = (nint)bytes.Length;
            while (left > 0)
            {
                var n = Libc.write(fd, p, left);
                if (n < 0)
                {
                    var error = Libc.LastError;
                    if (error == Libc.EINTR) continue;
                    if (error == Libc.EAGAIN)
                    {
                        // A non-blocking descriptor (set so by whoever shares it): wait until it takes more, without spinning.
                        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
                        Libc.poll(&pfd, 1, -1);
                        continue;
                    }
                    return false;
                }
                p += n;
                left -= n;
            }
        }
        return true;
    }

    /// <summary>Writes a string as UTF-8 in one write(2) call where it fits.</summary>
    public static bool Write(int fd, string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(text, buffer);
            return Write(fd, buffer.AsSpan(0, n));
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}
