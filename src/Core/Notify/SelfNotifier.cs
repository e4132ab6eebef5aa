using System.Globalization;
using System.Text;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Notify;

/// <summary>
/// Tend's own sd_notify, when whoever started Tend gave it <c>NOTIFY_SOCKET</c> (a systemd unit of Type=notify,
/// <c>podman run --sdnotify=container</c>): <c>READY=1</c> once every critical service is ready (every service when
/// none is critical: what <c>tend health</c> answers), <c>STATUS=</c> with that one-line summary when it changes,
/// <c>STOPPING=1</c> at shutdown, and <c>WATCHDOG=1</c> every half <c>WATCHDOG_USEC</c> when that is set for Tend
/// (sd_watchdog_enabled(3): for this pid when WATCHDOG_PID is set). Tend's own NOTIFY_SOCKET never reaches its
/// services (<see cref="Spawner"/> leaves it out of their environment). A send that fails is said once, never retried:
/// the protocol has no answer to wait for.
/// </summary>
internal sealed class SelfNotifier
{
    private readonly string _address;
    private readonly long _watchdogMs;
    private readonly Logging.EventLog? _log;
    private bool _ready, _stopping, _failedSaid;
    private string? _status;
    private long _nextPingAt;

    private SelfNotifier(string address, long watchdogMs, Logging.EventLog? log)
    {
        _address = address;
        _watchdogMs = watchdogMs;
        _log = log;
    }

    /// <summary>The variables of the protocol that are Tend's own and never its services': its peer's socket and watchdog.</summary>
    public static readonly string[] OwnVariables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

    /// <summary>A notifier for Tend's <c>NOTIFY_SOCKET</c>, or null when it has none.</summary>
    public static SelfNotifier? FromEnvironment(Logging.EventLog? log = null)
    {
        var address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        // sd_notify(3) takes these two forms (and vsock, not here)
        if (string.IsNullOrEmpty(address) || (address[0] != '/' && address[0] != '@')) return null;
        long watchdog = 0;
        var pidText = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        var forUs = string.IsNullOrEmpty(pidText) || (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture,
            out var pid) && pid == Libc.getpid());
        if (forUs && ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture,
            out var usec) && usec > 0)
            watchdog = (long)Math.Min(usec / 1000, int.MaxValue);
        return new SelfNotifier(address, Math.Max(watchdog, watchdog > 0 ? 2 : 0), log);
    }

    /// <summary>When (ms) the next WATCHDOG=1 is due; long.MaxValue without a watchdog.</summary>
    public long NextWake => _watchdogMs > 0 ? _nextPingAt : long.MaxValue;

    /// <summary>Says what changed since the last call: READY=1 the first time <paramref name="view"/> is healthy, STATUS= when the summary
    /// changed, WATCHDOG=1 when due.</summary>
    public void Update(SupervisorView view)
    {
        if (_stopping) return;
        var (healthy, why) = Control.ControlDecisions.Health(view);
        var message = new StringBuilder();
        if (healthy && !_ready)
        {
            _ready = true;
            message.Append("READY=1\n");
        }
        if (why != _status)
        {
            _status = why;
            message.Append("STATUS=").Append(why).Append('\n');
        }
        if (_watchdogMs > 0 && view.Now >= _nextPingAt)
        {
            message.Append("WATCHDOG=1\n");
            _nextPingAt = view.Now + _watchdogMs / 2;
        }
        if (message.Length > 0) Send(message.ToString());
    }

    /// <summary>STOPPING=1 and why, once.</summary>
    public void Stopping(string why)
    {
        if (_stopping) return;
        _stopping = true;
        Send($"STOPPING=1\nSTATUS=stopping: {why}\n");
    }

    private void Send(string message)
    {
        if (NotifySocket.Send(_address, Encoding.UTF8.GetBytes(message)) is { } error && !_failedSaid)
        {
            _failedSaid = true;
            _log?.Error($"cannot notify whoever started Tend (NOTIFY_SOCKET={_address}): {error}");
        }
    }
}
