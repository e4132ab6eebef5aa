using Tend.Posix;

namespace Tend.Control;

/// <summary>
/// The control endpoint: a Unix socket, owner-only, that serves one request per connection to root (or Tend's own
/// user) only. An accept thread takes connections; each gets a short-lived thread that reads one line, hands the
/// request to the supervisor's thread and writes the reply, so a request that waits (a restart until ready) holds only
/// its own thread and a <c>status</c> beside it is answered at once. Nothing here touches supervision state: a bad client can
/// cost a thread for <see cref="ReadTimeout"/>, never a restart.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    /// <summary>The default socket path.</summary>
    public const string DefaultPath = ControlSocketDefaults.Path;

    /// <summary>The environment variable that names the socket, for Tend and its client.</summary>
    public const string PathVariable = ControlSocketDefaults.Variable;

    /// <summary>
    /// The path from <see cref="PathVariable"/>; else the first of <see cref="ControlSocketPaths.For"/> for this user
    /// (<see cref="DefaultPath"/> for root).
    /// </summary>
    public static string ConfiguredPath =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : ControlSocketPaths.For(Libc.geteuid())[0];

    /// <summary>Whether the socket's place was left to Tend (no <see cref="PathVariable"/>): then it may fall back to the next
    /// candidate.</summary>
    public static bool PathIsDefault => Environment.GetEnvironmentVariable(PathVariable) is not { Length: > 0 };

    /// <summary>The longest request line, newline included.</summary>
    public const int MaxRequest = 1024;

    /// <summary>
    /// Connections served at once, far above what operators and probes produce (a load test runs 200 at once). At the
    /// bound Tend stops accepting until one ends: further clients wait in the listen queue (<see cref="Backlog"/>), then
    /// in connect(2) — they are queued, never refused.
    /// </summary>
    public const int MaxConnections = 1024;

    /// <summary>The listen queue: connections the kernel holds until Tend accepts them (capped by net.core.somaxconn).</summary>
    public const int Backlog = 1024;

    /// <summary>How long a client has to send its request line.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly int _listener;
    private readonly Func<ControlRequest, bool> _submit;
    private readonly Action<ControlRequest, int>? _stream;

    /// <summary>How long a streamed answer (<c>logs -f</c>, <c>status --watch</c>) waits for a client that takes nothing before it gives up
    /// on it.</summary>
    public static readonly TimeSpan StreamSendTimeout = TimeSpan.FromSeconds(30);
    private readonly uint _owner = Libc.geteuid();
    private readonly object _slots = new();
    private int _active;
    private volatile bool _closed;

    private ControlServer(string path, int listener, Func<ControlRequest, bool> submit, Action<ControlRequest, int>? stream)
    {
        Path = path;
        _listener = listener;
        _submit = submit;
        _stream = stream;
        new Thread(AcceptLoop, 128 * 1024) { IsBackground = true, Name = "tend-control" }.Start();
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>
    /// Creates the socket at the first of <paramref name="candidates"/> where it can be made (see
    /// <see cref="ControlSocketPaths"/>), and starts serving.
    /// </summary>
    /// <exception cref="IOException">No candidate would do (the message says why for each), or another Tend already serves one.</exception>
    /// <param name="candidates">The paths to try, in order.</param>
    /// <param name="submit">Hands a request to the supervisor; false when it no longer takes any.</param>
    /// <param name="stream">Answers a streamed request (<see cref="ControlRequest.Streams"/>) on the connection's thread, writing to the
    /// socket it is given; null: such requests are refused.</param>
    public static ControlServer OpenFirst(IReadOnlyList<string> candidates, Func<ControlRequest, bool> submit, Action<ControlRequest,
        int>? stream = null)
    {
        var problems = new List<string>();
        foreach (var path in candidates)
        {
            try { return Open(path, submit, stream); }
            catch (AlreadyServed) { throw; }
            catch (IOException e) { problems.Add(Logging.PlainMessage.Of(e)); }
        }
        throw new IOException(string.Join("; ", problems));
    }

    /// <summary>Another Tend answers on the socket's path.</summary>
    public sealed class AlreadyServed(string path) : IOException($"another Tend already serves {path}");

    /// <summary>
    /// Creates the socket at <paramref name="path"/> (its directory too, 0700) with mode 0600, and starts serving.
    /// <paramref name="submit"/> hands a request to the supervisor; false when it no longer takes any.
    /// </summary>
    /// <exception cref="IOException">The socket cannot be created, or another Tend already serves it (<see cref="AlreadyServed"/>); the
    /// message says why in plain words.</exception>
    public static ControlServer Open(string path, Func<ControlRequest, bool> submit, Action<ControlRequest, int>? stream = null)
    {
        if (ControlSocketPaths.PrepareDirectory(path) is { } why) throw new IOException(why);
        if (PathProblem(path) is { } problem) throw new IOException(problem);
        if (Libc.FileType(path) == Libc.S_IFSOCK)
        {
            if (Answers(path)) throw new AlreadyServed(path);
            // Left over from an earlier run of this container.
            if (Libc.unlink(path) != 0) throw new IOException($"cannot remove the old socket {path}: {Libc.ErrorText(Libc.LastError)}");
        }
        var old = Libc.umask(0x7F); // 0177: the socket is born 0600, no window in which others could connect
        try
        {
            return new ControlServer(path, Sockets.Listen(path, Backlog), submit, stream);
        }
        finally
        {
            _ = Libc.umask(old); // umask(2) cannot fail: it returns the previous mask
        }
    }

    /// <summary>
    /// What is wrong with <paramref name="path"/> as the control socket, or null: a file or a directory there is not
    /// Tend's to replace (a socket left by an earlier run is).
    /// </summary>
    public static string? PathProblem(string path)
    {
        var type = Libc.FileType(path);
        if (type is 0 or Libc.S_IFSOCK) return null;
        var what = type == Libc.S_IFDIR ? "a directory" : "a file that is not a socket";
        return $"the control socket path {path} is {what}: Tend will not replace it; give --control-socket another path (or set " +
            $"{PathVariable}), or --no-control";
    }

    /// <summary>Whether a Tend listens on <paramref name="path"/>: a connection is accepted, or refused for permission (someone listens
    /// there).</summary>
    public static bool Answers(string path)
    {
        try
        {
            _ = Libc.close(Sockets.ConnectUnix(path)); // a probe connection: nothing to retry
            return true;
        }
        catch (Sockets.SocketFailure e)
        {
            return e.Errno is Libc.EACCES or Libc.EPERM;
        }
    }

    private void AcceptLoop()
    {
        while (!_closed)
        {
            var client = Sockets.Accept(_listener);
            if (client < 0) return; // shut down
            // At the bound, wait for a connection to end rather than refuse this one: it was accepted, its client is
            // sending, and an answer that came before its request was read would reset the connection.
            lock (_slots)
            {
                while (_active >= MaxConnections) Monitor.Wait(_slots);
                _active++;
            }
            try { new Thread(() => Serve(client), 128 * 1024) { IsBackground = true, Name = "tend-control-conn" }.Start(); }
            catch (OutOfMemoryException)
            {
                Release();
                _ = Libc.close(client); // Linux releases the descriptor whatever close returns
            }
        }
    }

    private void Serve(int client)
    {
        try
        {
            Sockets.SetTimeouts(client, ReadTimeout, ReadTimeout);
            var uid = Sockets.PeerUid(client);
            // The line is read before anything is answered: closing with unread bytes would reset the connection
            // and the client could lose the reply.
            var line = ReadLine(client, out var problem);
            if (uid is null || (uid != 0 && uid != _owner))
            {
                var served = _owner == 0 ? "root only" : $"root and uid {_owner} (Tend's user) only";
                Reply(client, ControlReply.Error(1,
                    $"permission denied: the control socket serves {served} (this client runs as uid " +
                        $"{uid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}); run the command as one of " +
                            $"them, e.g. docker exec -u root CONTAINER tend status"));
                return;
            }
            if (line is null)
            {
                Reply(client, ControlReply.Error(2, problem!));
                return;
            }
            var request = ControlRequest.Parse(line, out var error);
            if (request is null)
            {
                Reply(client, ControlReply.Error(2, error!));
                return;
            }
            if (request.Streams)
            {
                if (_stream is null)
                {
                    Reply(client, ControlReply.Error(1, $"this Tend does not stream '{ControlVerbs.Of(request.Verb).Name}'"));
                    return;
                }
                // Held as long as the client listens; a client that takes nothing for this long is let go.
                Sockets.SetTimeouts(client, ReadTimeout, StreamSendTimeout);
                _stream(request, client);
                return;
            }
            if (!_submit(request))
            {
                Reply(client, ControlReply.Error(1, "tend is exiting"));
                return;
            }
            // The supervisor answers within the request's own timeout (it enforces it); the margin covers a busy machine.
            var reply = request.WaitForReply((request.Timeout ?? TimeSpan.FromSeconds(60)) + TimeSpan.FromSeconds(30));
            Reply(client, reply ?? ControlReply.Error(1, "tend did not answer in time"));
        }
        catch (Sockets.SocketFailure)
        {
            // The client went away: nothing to answer.
        }
        finally
        {
            _ = Libc.close(client); // Linux releases the descriptor whatever close returns
            Release();
        }
    }

    private void Release()
    {
        lock (_slots)
        {
            _active--;
            Monitor.Pulse(_slots);
        }
    }

    /// <summary>Reads up to the first newline; null with a reason when the request is too long, cut short or late.</summary>
    private static byte[]? ReadLine(int client, out string? problem)
    {
        problem = null;
        var buffer = new byte[MaxRequest];
        var count = 0;
        while (true)
        {
            var n = Sockets.Receive(client, buffer.AsSpan(count));
            if (n < 0)
            {
                problem = $"incomplete request: no newline within {Duration.Format(ReadTimeout)}; end the request with '\\n'";
                return null;
            }
            if (n == 0)
            {
                problem = count == 0 ? "empty request: send a verb such as 'status', then '\\n'"
                    : "truncated request: the connection was shut before the newline; end the request with '\\n'";
                return null;
            }
            var newline = buffer.AsSpan(count, n).IndexOf((byte)'\n');
            if (newline >= 0) return buffer[..(count + newline)];
            count += n;
            if (count == buffer.Length)
            {
                problem = $"request too long: more than {MaxRequest} bytes without a newline";
                return null;
            }
        }
    }

    private static void Reply(int client, string json)
    {
        if (Sockets.SendAll(client, System.Text.Encoding.UTF8.GetBytes(json + "\n"))) Sockets.ShutdownWrite(client);
    }

    /// <summary>Stops serving and removes the socket.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _ = Libc.unlink(Path); // gone already, or not ours to remove: nothing else to do at exit
        Sockets.ShutdownListener(_listener);
        // The listener fd stays open until exit: closing it under a thread blocked in accept could hand its number to another file.
    }
}
