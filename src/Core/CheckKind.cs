namespace Tend;

/// <summary>The kinds of <see cref="Check"/>: what Tend looks at to tell that a service is ready (<see cref="Readiness"/>)
/// or still alive (<see cref="Liveness"/>).</summary>
public enum CheckKind
{
    /// <summary>A TCP port accepts a connection.</summary>
    Tcp,
    /// <summary>A file (or directory, or socket) exists.</summary>
    File,
    /// <summary>A command exits with code 0.</summary>
    Command,
    /// <summary>An HTTP GET answers 2xx or 3xx.</summary>
    Http,
    /// <summary>The service says so itself: <c>READY=1</c> on <c>$NOTIFY_SOCKET</c> (sd_notify(3), systemd's Type=notify). Readiness
    /// only.</summary>
    Notify,
    /// <summary>The service sends <c>WATCHDOG=1</c> on <c>$NOTIFY_SOCKET</c> at least once per interval (systemd's WatchdogSec=). Liveness
    /// only.</summary>
    Watchdog,
    /// <summary>A line of the service's own output matches a regular expression (readiness only).</summary>
    LogLine,
}
