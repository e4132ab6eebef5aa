using System.Collections.Immutable;
using Tend.Logging;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Control;

/// <summary>
/// The control plane's side of the supervisor (<see cref="IRequestDesk"/>): it owns the control socket and what waits
/// for an answer, decides each request with <see cref="ControlDecisions"/> and carries the decision out — the answer,
/// the log line, a signal. Runs on the supervisor's thread, but for <see cref="Submit"/>, which a connection's thread calls.
/// </summary>
internal sealed class ControlDesk : IRequestDesk
{
    private readonly EventLog _log;
    private readonly ServiceTable _table;
    private ServiceLogs? _logs;
    private ControlState _state = ControlState.Empty;
    private ControlServer? _server;
    private Action<IPostedRequest>? _post;
    private volatile bool _closed;

    private ControlDesk(ServiceTable table, EventLog log)
    {
        _table = table;
        _log = log;
    }

    /// <summary>
    /// Opens the control socket at the first of <paramref name="paths"/> where it can be made; requests go to
    /// <paramref name="post"/> (the supervisor's <see cref="Supervisor.Post"/>). When none can be opened, supervision
    /// goes on without it: an error line says that control is off, why, and how to get it back.
    /// </summary>
    /// <param name="paths">Where the socket may be made, in order.</param>
    /// <param name="table">The services.</param>
    /// <param name="log">Tend's own lines; its events wake <c>status --watch</c>.</param>
    /// <param name="post">Hands a request to the supervisor's thread.</param>
    /// <param name="logs">The services' recent output, for <c>tend logs</c> (null: it answers that none is kept).</param>
    public static ControlDesk Open(IReadOnlyList<string> paths, ServiceTable table, EventLog log, Action<IPostedRequest> post,
        ServiceLogs? logs = null)
    {
        var desk = new ControlDesk(table, log) { _post = post, _logs = logs };
        try
        {
            desk._server = ControlServer.OpenFirst(paths, desk.Submit, desk.Stream);
        }
        catch (IOException e)
        {
            log.Error($"control socket disabled: {PlainMessage.Of(e)}; 'tend status' and the other verbs will not work (give " +
                $"--control-socket PATH or set {ControlServer.PathVariable})");
        }
        return desk;
    }

    /// <inheritdoc/>
    public string? Description => _server is null ? null : $"control socket {_server.Path}";

    /// <inheritdoc/>
    public bool Busy => !_state.Waiters.IsEmpty;

    /// <inheritdoc/>
    public long NextDeadline => _state.Waiters.IsEmpty ? long.MaxValue : _state.Waiters.Min(w => w.Deadline);

    /// <summary>Called on a connection's thread: hands the request to the supervisor's thread; false once Tend exits.</summary>
    private bool Submit(ControlRequest request)
    {
        if (_closed) return false;
        _post!(new Posted(this, request));
        return true;
    }

    /// <summary>A control request on its way to the supervisor's thread.</summary>
    private sealed class Posted(ControlDesk desk, ControlRequest request) : IPostedRequest
    {
        public RequestOutcome Decide(SupervisorView view) => desk.Handle(request, view);

        public void Refuse(string why) => request.Answer(ControlReply.Error(1, why));
    }

    /// <summary>A streamed answer ended: nothing to decide, but the supervisor counts it as a request (it trims once quiet,
    /// <see cref="IdleTrim.Touched"/>), on its own thread.</summary>
    private sealed class Finished : IPostedRequest
    {
        public RequestOutcome Decide(SupervisorView view) => RequestOutcome.None(view.Desired);

        public void Refuse(string why) { }
    }

    /// <summary>Called on a connection's thread: answers <c>logs</c> and <c>status --watch</c> with a stream of lines until the client goes
    /// away.</summary>
    private void Stream(ControlRequest request, int client)
    {
        if (request.Verb == ControlVerb.Logs) StreamLogs(request, client);
        else WatchStatus(request, client);
    }

    /// <summary>
    /// <c>logs</c>: a header line, then the lines kept (<see cref="ServiceLogs.Tail"/>), then with <c>-f</c> every line the
    /// services write, from a queue of this client's own that the relay fills without ever waiting (<see cref="LogFollower"/>).
    /// </summary>
    private void StreamLogs(ControlRequest req, int client)
    {
        if (_logs is null)
        {
            Send(client, ControlReply.Error(1, "this Tend keeps no output of its services"));
            return;
        }
        var selected = new bool[_table.Count];
        if (req.Services.Count == 0) Array.Fill(selected, true);
        foreach (var name in req.Services)
        {
            var i = _table.IndexOf(name);
            if (i < 0)
            {
                Send(client, ControlReply.Error(2,
                    $"no service is named '{name}'; the services are: {string.Join(", ", _table.Services.Select(s => s.Name))}"));
                return;
            }
            selected[i] = true;
        }
        // Followed before the lines kept are taken: nothing written in between is lost (what is in both is sent once).
        var follower = req.Follow ? _logs.Follow(selected) : null;
        try
        {
            var since = req.Since is { } d ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)d.TotalMilliseconds : long.MinValue;
            var reader = _logs.Read(selected, req.Lines, since);
            var header = ControlReply.LogHeader(reader.Windows.Select(w => (_table.Services[w.Service].Name, _logs.Stats(w.Service).Dropped,
                _logs.Stats(w.Service).Capacity, w.PastKept)), _logs.Prefixed);
            if (!Send(client, header)) return;
            var output = new LogOutput(client, _table);
            var batch = new List<LogEntry>();
            while (reader.Next(batch, LogOutput.Chunk / 2))
            {
                if (reader.TakeMissed() is > 0 and var missed && !(output.Flush() && Send(client, ControlReply.Dropped(missed)))) return;
                foreach (var e in batch)
                    if (!output.Line(e)) return;
                batch.Clear();
            }
            // Lines a flood dropped in the last batch, or while the window's start was found.
            if (reader.TakeMissed() is > 0 and var lost && !(output.Flush() && Send(client, ControlReply.Dropped(lost)))) return;
            if (!output.Flush() || follower is null) return;
            output.Following = true;
            while (follower.Bell.Wait(client))
                if (!follower.TakeAll(n => Send(client, ControlReply.Dropped(n)), output.Line) || !output.Flush()) return;
        }
        finally
        {
            if (follower is not null)
            {
                _logs.Unfollow(follower);
                follower.Dispose();
            }
            // What this client's reading and queue held is garbage now: the supervisor gives it back once quiet.
            if (!_closed) _post!(new Finished());
        }
    }

    /// <summary>
    /// The lines of one <c>logs</c> answer as JSON lines, sent in pieces of about <see cref="Chunk"/> bytes; a followed line
    /// that the reading of the lines kept already sent (a service's sequence up to the last it sent) is left out. Followed
    /// lines of one service may come out of order (its stdout and stderr are read by two threads): they do not move that mark.
    /// </summary>
    private sealed class LogOutput(int client, ServiceTable table)
    {
        /// <summary>Bytes gathered before they are sent.</summary>
        public const int Chunk = 16 * 1024;

        // Room for a line after Chunk bytes, so the buffer does not grow (the JSON writer asks for a line's worst case).
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(2 * Chunk);
        private readonly long[] _last = new long[table.Count];

        /// <summary>Set once the lines kept are sent: followed lines come next.</summary>
        public bool Following { get; set; }

        /// <summary>Adds one line; false when the client is gone.</summary>
        public bool Line(LogEntry e)
        {
            if (e.Sequence <= _last[e.Service]) return true;
            if (!Following) _last[e.Service] = e.Sequence;
            ControlReply.LogLine(_buffer, table.Services[e.Service].Name, e);
            return _buffer.WrittenCount < Chunk || Flush();
        }

        /// <summary>Sends what was gathered; false when the client is gone or took nothing for
        /// <see cref="ControlServer.StreamSendTimeout"/>.</summary>
        public bool Flush()
        {
            if (_buffer.WrittenCount == 0) return true;
            var sent = Sockets.SendAll(client, _buffer.WrittenSpan, ControlServer.StreamSendTimeout);
            _buffer.Clear();
            return sent;
        }
    }

    /// <summary>
    /// <c>status --watch</c>: the status now, then again after each event of a service (coalesced: one answer for what
    /// came meanwhile), each asked of the supervisor's thread like a <c>status</c>. No timer: the thread sleeps until an
    /// event or the client's hang-up.
    /// </summary>
    private void WatchStatus(ControlRequest req, int client)
    {
        using var bell = new Doorbell();
        _log.Watch(bell);
        try
        {
            do
            {
                var status = new ControlRequest(ControlVerb.Status, req.Service);
                if (!Submit(status))
                {
                    Send(client, ControlReply.Error(1, "tend is exiting"));
                    return;
                }
                var reply = status.WaitForReply(TimeSpan.FromSeconds(30)) ?? ControlReply.Error(1, "tend did not answer in time");
                if (!Send(client, reply) || !reply.StartsWith("{\"ok\":true", StringComparison.Ordinal)) return;
            }
            while (bell.Wait(client));
        }
        finally { _log.Unwatch(bell); }
    }

    private static bool Send(int client, string line) =>
        Sockets.SendAll(client, System.Text.Encoding.UTF8.GetBytes(line + "\n"), ControlServer.StreamSendTimeout);

    /// <summary>
    /// Decides one request on the supervisor's thread (<see cref="ControlDecisions.Decide"/>) and carries it out: the
    /// log line, then the answer — for <c>signal</c>, after sending it, since the answer says whether it could be sent.
    /// A request that waits (a start until ready) is answered later, by <see cref="Settle"/>.
    /// </summary>
    private RequestOutcome Handle(ControlRequest req, SupervisorView view)
    {
        var d = ControlDecisions.Decide(req, view, _state);
        _state = d.State;
        if (d.Event is { } e)
            _log.Service(_table.Services[e.Service].Name, e.Event, e.Message, e.Pid, restarts: view.Runtimes[e.Service].Restarts);
        if (d.Signal is var (i, signal)) req.Answer(SendSignal(view, i, signal));
        else if (d.Reply is { } reply) req.Answer(reply);
        return new RequestOutcome(d.Desired, d.Reopen, d.Changed) { RunNow = d.RunNow };
    }

    /// <inheritdoc/>
    public RequestOutcome Settle(SupervisorView view)
    {
        var d = ControlDecisions.Settle(view, _state);
        _state = d.State;
        foreach (var (request, reply) in d.Answers) request.Answer(reply);
        return new RequestOutcome(d.Desired, d.Reopen, d.Changed);
    }

    /// <summary>Sends <c>tend signal</c>'s signal to the service's process group, else to its process; the answer says which, or why
    /// not.</summary>
    private string SendSignal(SupervisorView view, int i, int signal)
    {
        var spec = view.Table.Services[i];
        var r = view.Runtimes[i];
        var p = r.Process!;
        var (target, error) = view.SignalMain is { } send ? send(i, signal) : (null, "no supervisor to send it");
        if (target is null)
            return ControlReply.Error(1, $"cannot signal '{spec.Name}' (pid {p.Pid}): {error}");
        _log.Service(spec.Name, EventNames.Signalled, $"sent {Signals.Name(signal)} to {target} on request", p.Pid, restarts: r.Restarts);
        return ControlReply.Ok($"{spec.Name}: sent {Signals.Name(signal)} to {target}");
    }

    /// <inheritdoc/>
    public void ShuttingDown(string why)
    {
        foreach (var w in _state.Waiters) w.Request.Answer(ControlReply.Error(1, $"tend is shutting down ({why})"));
        _state = ControlState.Empty;
    }

    /// <inheritdoc/>
    public void Close()
    {
        _closed = true;
        foreach (var w in _state.Waiters) w.Request.Answer(ControlReply.Error(1, "tend is exiting"));
        _state = ControlState.Empty;
        _server?.Dispose();
    }
}
