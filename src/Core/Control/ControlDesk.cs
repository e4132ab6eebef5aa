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
    public static ControlDesk Open(IReadOnlyList<string> paths, ServiceTable table, EventLog log, Action<IPostedRequest> post)
    {
        var desk = new ControlDesk(table, log) { _post = post };
        try
        {
            desk._server = ControlServer.OpenFirst(paths, desk.Submit);
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
