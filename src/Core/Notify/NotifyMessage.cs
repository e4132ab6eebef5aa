using System.Globalization;
using System.Text;

namespace Tend.Notify;

/// <summary>What one <c>WATCHDOG=</c> assignment asks.</summary>
internal enum WatchdogRequest
{
    /// <summary>None in the message.</summary>
    None,
    /// <summary><c>WATCHDOG=1</c>: the service is alive (a ping).</summary>
    Ping,
    /// <summary><c>WATCHDOG=trigger</c>: the service asks to be handled as if its deadline were missed.</summary>
    Trigger,
}

/// <summary>
/// One sd_notify(3) datagram, parsed: newline-separated <c>NAME=VALUE</c> assignments, of which Tend acts on
/// <c>READY=1</c>, <c>RELOADING=1</c>, <c>STOPPING=1</c>, <c>STATUS=</c>, <c>MAINPID=</c>, <c>WATCHDOG=1</c>,
/// <c>WATCHDOG=trigger</c>, <c>WATCHDOG_USEC=</c>, <c>EXTEND_TIMEOUT_USEC=</c> and <c>ERRNO=</c> (the variables of
/// sd_notify(3), systemd 252). Other names (FDSTORE=1, BARRIER=1, a daemon's own) are ignored, as systemd ignores
/// what it does not know; an assignment whose value is not what its name takes is left out and counted in
/// <see cref="Ignored"/>. A later assignment of the same name wins.
/// </summary>
internal sealed record NotifyMessage
{
    /// <summary>The largest datagram taken (bytes): systemd's NOTIFY_BUFFER_MAX (PIPE_BUF, 4096); a longer one is refused whole.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The longest <c>STATUS=</c> kept (characters): a status is one line of <c>tend status</c>, not a log.</summary>
    public const int MaxStatusChars = 200;

    /// <summary><c>READY=1</c>: start-up (or a reload) is finished.</summary>
    public bool Ready { get; init; }

    /// <summary><c>RELOADING=1</c>: the service reloads its configuration; <c>READY=1</c> says when it is done.</summary>
    public bool Reloading { get; init; }

    /// <summary><c>STOPPING=1</c>: the service is shutting down.</summary>
    public bool Stopping { get; init; }

    /// <summary><c>STATUS=</c>: a free-form one-line status (control characters replaced, cut to <see cref="MaxStatusChars"/>).</summary>
    public string? Status { get; init; }

    /// <summary><c>MAINPID=</c>: the service's main process (a positive pid).</summary>
    public int? MainPid { get; init; }

    /// <summary><c>WATCHDOG=1</c> or <c>WATCHDOG=trigger</c>.</summary>
    public WatchdogRequest Watchdog { get; init; }

    /// <summary><c>WATCHDOG_USEC=</c>: a new watchdog deadline for the run (µs); 0 turns the watchdog off for the run
    /// (sd_notify(3)).</summary>
    public ulong? WatchdogUsec { get; init; }

    /// <summary><c>EXTEND_TIMEOUT_USEC=</c>: more time for what is under way (µs).</summary>
    public ulong? ExtendTimeoutUsec { get; init; }

    /// <summary><c>ERRNO=</c>: the error number the service failed with (non-negative).</summary>
    public int? Errno { get; init; }

    /// <summary>Assignments left out: no '=', an empty name, or a value the name does not take (<c>READY=yes</c>,
    /// <c>MAINPID=-1</c>).</summary>
    public int Ignored { get; init; }

    /// <summary>Whether the message asks for anything Tend acts on.</summary>
    public bool IsEmpty => !Ready && !Reloading && !Stopping && Status is null && MainPid is null && Watchdog == WatchdogRequest.None
        && WatchdogUsec is null && ExtendTimeoutUsec is null && Errno is null;

    /// <summary>
    /// Parses a datagram. Never throws and takes time linear in its length: any bytes (invalid UTF-8 is decoded with
    /// U+FFFD, NUL is an ordinary byte) give a message, possibly empty.
    /// </summary>
    public static NotifyMessage Parse(ReadOnlySpan<byte> datagram)
    {
        var m = new NotifyMessage();
        var ignored = 0;
        while (datagram.Length > 0)
        {
            var nl = datagram.IndexOf((byte)'\n');
            var line = nl < 0 ? datagram : datagram[..nl];
            datagram = nl < 0 ? default : datagram[(nl + 1)..];
            if (line.IsEmpty) continue;
            var eq = line.IndexOf((byte)'=');
            if (eq <= 0)
            {
                ignored++;
                continue;
            }
            var name = line[..eq];
            var value = line[(eq + 1)..];
            var taken = true;
            if (name.SequenceEqual("READY"u8)) { if (taken = value.SequenceEqual("1"u8)) m = m with { Ready = true }; }
            else if (name.SequenceEqual("RELOADING"u8)) { if (taken = value.SequenceEqual("1"u8)) m = m with { Reloading = true }; }
            else if (name.SequenceEqual("STOPPING"u8)) { if (taken = value.SequenceEqual("1"u8)) m = m with { Stopping = true }; }
            else if (name.SequenceEqual("STATUS"u8)) m = m with { Status = OneLine(value) };
            else if (name.SequenceEqual("MAINPID"u8)) { if (taken = Number(value,
                out var pid) && pid is > 0 and <= int.MaxValue) m = m with { MainPid = (int)pid }; }
            else if (name.SequenceEqual("WATCHDOG"u8))
            {
                if (value.SequenceEqual("1"u8)) m = m with { Watchdog = WatchdogRequest.Ping };
                else if (value.SequenceEqual("trigger"u8)) m = m with { Watchdog = WatchdogRequest.Trigger };
                else taken = false;
            }
            else if (name.SequenceEqual("WATCHDOG_USEC"u8)) { if (taken = Number(value, out var us)) m = m with { WatchdogUsec = us }; }
            else if (name.SequenceEqual("EXTEND_TIMEOUT_USEC"u8)) { if (taken = Number(value,
                out var us)) m = m with { ExtendTimeoutUsec = us }; }
            else if (name.SequenceEqual("ERRNO"u8)) { if (taken = Number(value,
                out var e) && e <= int.MaxValue) m = m with { Errno = (int)e }; }
            if (!taken) ignored++;
        }
        return ignored == 0 ? m : m with { Ignored = ignored };
    }

    /// <summary>A decimal number of at most 19 digits (no sign, no spaces), as systemd's safe_atou64 takes it.</summary>
    private static bool Number(ReadOnlySpan<byte> value, out ulong n)
    {
        n = 0;
        if (value.IsEmpty || value.Length > 19) return false;
        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            n = n * 10 + (ulong)(b - '0');
        }
        return true;
    }

    /// <summary>The status text as one printable line: control characters become spaces, cut to <see cref="MaxStatusChars"/>.</summary>
    private static string OneLine(ReadOnlySpan<byte> value)
    {
        var text = Encoding.UTF8.GetString(value.Length > MaxStatusChars * 4 ? value[..(MaxStatusChars * 4)] : value);
        var sb = new StringBuilder(Math.Min(text.Length, MaxStatusChars));
        var e = StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext() && sb.Length < MaxStatusChars)
        {
            var element = (string)e.Current;
            sb.Append(element.Length == 1 && char.IsControl(element[0]) ? " " : element);
        }
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Ready) parts.Add("READY=1");
        if (Reloading) parts.Add("RELOADING=1");
        if (Stopping) parts.Add("STOPPING=1");
        if (Status is not null) parts.Add("STATUS=" + Status);
        if (MainPid is { } pid) parts.Add("MAINPID=" + pid.ToString(CultureInfo.InvariantCulture));
        if (Watchdog != WatchdogRequest.None) parts.Add(Watchdog == WatchdogRequest.Ping ? "WATCHDOG=1" : "WATCHDOG=trigger");
        if (WatchdogUsec is { } w) parts.Add("WATCHDOG_USEC=" + w.ToString(CultureInfo.InvariantCulture));
        if (ExtendTimeoutUsec is { } x) parts.Add("EXTEND_TIMEOUT_USEC=" + x.ToString(CultureInfo.InvariantCulture));
        if (Errno is { } n) parts.Add("ERRNO=" + n.ToString(CultureInfo.InvariantCulture));
        return string.Join(' ', parts);
    }
}
