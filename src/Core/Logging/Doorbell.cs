using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// Wakes one waiting thread (a client of <c>tend logs -f</c> or <c>tend status --watch</c>) without a timer: an eventfd
/// that <see cref="Ring"/> makes readable, polled together with the client's socket, so the thread sleeps until there is
/// something to send or the client went away. Rings coalesce: many before a wait wake it once.
/// </summary>
internal sealed unsafe class Doorbell : IDisposable
{
    private const short POLLRDHUP = 0x2000; // the peer shut its side (linux/poll.h)
    private readonly int _fd;
    private int _pending;

    /// <exception cref="IOException">No eventfd could be made (the open-file limit).</exception>
    public Doorbell()
    {
        _fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_fd < 0) throw new IOException($"eventfd: {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>Wakes the waiter (or its next wait); never blocks. Callable from any thread.</summary>
    public void Ring()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 1) return;
        ulong one = 1;
        Libc.write(_fd, (byte*)&one, 8);
    }

    /// <summary>Waits until <see cref="Ring"/> was called or the peer of <paramref name="socket"/> hung up; false for the latter.</summary>
    public bool Wait(int socket)
    {
        var fds = stackalloc Libc.PollFd[2];
        while (true)
        {
            fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = socket, Events = POLLRDHUP };
            var rc = Libc.poll(fds, 2, -1);
            if (rc < 0) continue; // EINTR
            if ((fds[1].Revents & (POLLRDHUP | Libc.POLLHUP | Libc.POLLERR)) != 0) return false;
            if (fds[0].Revents != 0)
            {
                ulong count;
                Libc.read(_fd, (byte*)&count, 8);
                Volatile.Write(ref _pending, 0);
                return true;
            }
        }
    }

    /// <summary>Closes the eventfd.</summary>
    public void Dispose() => _ = Libc.close(_fd); // Linux releases the descriptor whatever close returns
}
