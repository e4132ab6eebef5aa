using System.Globalization;
using Tend.Logging;
using Tend.Supervision;

namespace Tend.Arguments;

/// <summary>What the command line says, before any service starts.</summary>
internal sealed record HostOptions
{
    /// <summary>The supervisor's own settings.</summary>
    public SupervisorOptions Supervisor { get; init; } = new();

    /// <summary>
    /// The control socket's path given with <c>--control-socket</c>; null when none was given (then the host takes
    /// <c>TEND_CONTROL_SOCKET</c>, else the default place: docs/control.md).
    /// </summary>
    public string? ControlSocket { get; init; }

    /// <summary><c>--no-control</c>: no control socket.</summary>
    public bool NoControl { get; init; }

    /// <summary>The ad-hoc command lines, one service each.</summary>
    public IReadOnlyList<string> CommandLines { get; init; } = [];

    /// <summary>Settings applied to each ad-hoc service.</summary>
    public Restart Restart { get; init; } = ServiceDefaults.Restart;

    /// <summary>Stop timeout of each ad-hoc service.</summary>
    public TimeSpan StopTimeout { get; init; } = ServiceDefaults.StopTimeoutValue;

    /// <summary>Cleanup timeout of each ad-hoc service.</summary>
    public TimeSpan CleanupTimeout { get; init; } = ServiceDefaults.CleanupTimeoutValue;

    /// <summary>Kill mode of each ad-hoc service.</summary>
    public KillMode KillMode { get; init; } = ServiceDefaults.KillMode;

    /// <summary>Ad-hoc services are critical: one failing for good ends Tend with a non-zero code.</summary>
    public bool Critical { get; init; }

    /// <summary>Readiness checks from <c>--ready SERVICE=CHECK</c>, in order.</summary>
    public IReadOnlyList<(string Service, Readiness Readiness)> Ready { get; init; } = [];

    /// <summary>Log ring sizes (bytes) from <c>--log-buffer NAME=SIZE</c>, in order.</summary>
    public IReadOnlyList<(string Service, int Bytes)> LogBuffers { get; init; } = [];

    /// <summary>Schedules from <c>--schedule SERVICE=EXPRESSION</c>, in order (read in UTC; the host applies <c>TZ</c>).</summary>
    public IReadOnlyList<(string Service, Schedule Schedule)> Schedules { get; init; } = [];

    /// <summary>Interval of the <c>--ready</c> checks.</summary>
    public TimeSpan ReadyInterval { get; init; } = ServiceDefaults.ReadyIntervalValue;

    /// <summary>Timeout of one attempt of the <c>--ready</c> checks.</summary>
    public TimeSpan ReadyTimeout { get; init; } = ServiceDefaults.CheckTimeoutValue;

    /// <summary>Liveness checks from <c>--alive SERVICE=CHECK</c>, in order.</summary>
    public IReadOnlyList<(string Service, Liveness Liveness)> Alive { get; init; } = [];

    /// <summary>Interval of the <c>--alive</c> checks.</summary>
    public TimeSpan AliveInterval { get; init; } = ServiceDefaults.AliveIntervalValue;

    /// <summary>Timeout of one <c>--alive</c> check.</summary>
    public TimeSpan AliveTimeout { get; init; } = ServiceDefaults.CheckTimeoutValue;

    /// <summary>Failures in a row after which an <c>--alive</c> check makes its service unhealthy.</summary>
    public int AliveFailures { get; init; } = ServiceDefaults.AliveFailures;

    /// <summary>The service that reads the container's stdin (<c>--stdin NAME</c>), or null.</summary>
    public string? Stdin { get; init; }

    /// <summary><c>--http ADDRESS:PORT</c>: where the HTTP endpoint listens, or null (<see cref="NoHttp"/>, or not given).</summary>
    public Http.HttpAddress? Http { get; init; }

    /// <summary><c>--no-http</c>: no HTTP endpoint, even a declared one.</summary>
    public bool NoHttp { get; init; }

    /// <summary><c>--orchestrated</c>: an orchestrator runs this container (see <c>Export/Orchestration.cs</c>).</summary>
    public bool Orchestrated { get; init; }

    /// <summary><c>--help</c> was given.</summary>
    public bool Help { get; init; }

    /// <summary><c>--version</c> was given.</summary>
    public bool Version { get; init; }

    /// <summary>The options Tend itself understands, for parsing, help and suggestions on a typo (their one home:
    /// <see cref="GlobalFlags.Rows"/>).</summary>
    public static IReadOnlyList<FlagSpec> Options => GlobalFlags.Rows;

    /// <summary>
    /// Parses <c>[options] [--] [command line]…</c>. Options and command lines may be mixed; after <c>--</c>
    /// every argument is a command line.
    /// </summary>
    /// <exception cref="UsageException">An unknown option, a missing or bad value, or an empty command line.</exception>
    public static HostOptions Parse(IReadOnlyList<string> args, IEnumerable<string>? declaredFlags = null)
    {
        var o = new HostOptions();
        var sup = o.Supervisor;
        var lines = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new ArgumentReader(args, Options);
        // An unknown flag is named with the declared services' flags too, for a suggestion.
        bool Unknown(string flag, string? inline) => throw new UsageException(UnknownOption(flag, declaredFlags));
        while (reader.Next(out var known, out var value, Unknown))
        {
            if (known is null)
            {
                lines.Add(CheckLine(value, reader.Index));
                continue;
            }
            var name = known.Name;
            // A switch given false (--critical=false, --log-prefix no) is a switch not given.
            if (known.Arity == FlagArity.Bool && value == "false") continue;
            seen.Add(name);
            string Value() => value;
            switch (name)
            {
                case "--log-prefix": sup = sup with { LogPrefix = true }; break;
                case "--log-buffer":
                    {
                        var v = Value();
                        var at = v.IndexOf('=');
                        var sizeText = at >= 0 ? v[(at + 1)..] : v;
                        if (at == 0 || !ByteSize.TryParse(sizeText, out var bytes))
                            throw new UsageException($"option '--log-buffer' got '{v}': expected SIZE or NAME=SIZE, " +
                                $"SIZE {ByteSize.Expected}, at least {Logging.LogEntry.Overhead + 1} bytes when not 0");
                        if (bytes is > 0 and < Logging.LogEntry.Overhead + 1)
                            throw new UsageException($"option '--log-buffer' got '{v}': a log buffer holds at least one line, so at " +
                                $"least {Logging.LogEntry.Overhead + 1} bytes (or 0 for none)");
                        if (at < 0) sup = sup with { LogBuffer = bytes };
                        else
                        {
                            var service = v[..at];
                            if (o.LogBuffers.Any(b =>
                                b.Service ==
                                service)) throw new UsageException($"option '--log-buffer' gives service '{service}' two sizes: give one");
                            o = o with { LogBuffers = [.. o.LogBuffers, (service, bytes)] };
                        }
                        break;
                    }
                case "--adopt" or "--no-adopt":
                    if (sup.Adopt is not null)
                        throw new UsageException("options '--adopt' and '--no-adopt' contradict each other: give one");
                    sup = sup with { Adopt = name == "--adopt" };
                    break;
                case "--keep-run": sup = sup with { KeepRun = true }; break;
                case "--no-control":
                    if (seen.Contains("--control-socket"))
                        throw new UsageException("options '--no-control' and '--control-socket' contradict each other: give one");
                    o = o with { NoControl = true };
                    break;
                case "--control-socket":
                    {
                        if (seen.Contains("--no-control"))
                            throw new UsageException("options '--no-control' and '--control-socket' contradict each other: give one");
                        var v = Value();
                        if (v.Length == 0
                            || v.EndsWith('/'))
                            throw new UsageException($"option '--control-socket' got '{v}': expected the path of a socket file, such " +
                                $"as {ControlSocketDefaults.Path}");
                        if (System.Text.Encoding.UTF8.GetByteCount(v) > 107)
                            throw new UsageException($"option '--control-socket' got a path of more than 107 bytes, the limit of a Unix " +
                                $"socket path: choose a shorter one");
                        o = o with { ControlSocket = v };
                        break;
                    }
                case "--ready":
                    {
                        var (service, check) = NamedCheck(name, Value(), Readiness.Parse, o.Ready.Select(r => r.Service));
                        o = o with { Ready = [.. o.Ready, (service, check)] };
                        break;
                    }
                case "--alive":
                    {
                        var (service, check) = NamedCheck(name, Value(), Liveness.Parse, o.Alive.Select(r => r.Service));
                        o = o with { Alive = [.. o.Alive, (service, check)] };
                        break;
                    }
                case "--alive-interval":
                    o = o with { AliveInterval = PositiveDuration(name, Value()) };
                    break;
                case "--alive-timeout":
                    o = o with { AliveTimeout = PositiveDuration(name, Value()) };
                    break;
                case "--alive-failures":
                    {
                        var v = Value();
                        if (!int.TryParse(v, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                            throw new UsageException($"option '--alive-failures' got '{v}': expected a whole number of at least 1, such " +
                                $"as 3");
                        o = o with { AliveFailures = n };
                        break;
                    }
                case "--schedule":
                    {
                        var v = Value();
                        var at = v.IndexOf('=');
                        if (at <=
                            0) throw new UsageException($"option '--schedule' got '{v}': expected NAME=CRON, such as backup=\"0 3 * * " +
                                $"*\" (CRON: {Schedule.Expected})");
                        Schedule schedule;
                        try { schedule = Schedule.Parse(v[(at + 1)..]); }
                        catch (FormatException e) { throw new UsageException($"option '--schedule' for '{v[..at]}': {PlainMessage.Of(e)}");
                            }
                        if (o.Schedules.Any(s =>
                            s.Service ==
                            v[..at])) throw new UsageException($"option '--schedule' gives service '{v[..at]}' two schedules: give one");
                        o = o with { Schedules = [.. o.Schedules, (v[..at], schedule)] };
                        break;
                    }
                case "--critical": o = o with { Critical = true }; break;
                case "--stdin": o = o with { Stdin = Value() }; break;
                case "--orchestrated": o = o with { Orchestrated = true }; break;
                case "--http" or "--no-http":
                    {
                        if (seen.Contains(name == "--http" ? "--no-http"
                            : "--http")) throw new UsageException("options '--http' and '--no-http' contradict each other: give one");
                        if (name == "--no-http")
                        {
                            o = o with { NoHttp = true };
                            break;
                        }
                        var v = Value();
                        o = o with { Http = Tend.Http.HttpAddress.Parse(v,
                            out var problem) ?? throw new UsageException($"option '--http': {problem}") };
                        break;
                    }
                case "--drain-delay": sup = sup with { DrainDelay = PositiveDuration(name, Value()) }; break;
                case "--help": o = o with { Help = true }; break;
                case "--only" or "--without":
                    throw new UsageException($"option '{name}' selects declared services, and this program declares none: leave it out");
                case "--version": o = o with { Version = true }; break;
                default: throw new InvalidOperationException($"HostOptions.Options has a row '{name}' that Parse does not handle");
                case "--log-format":
                    {
                        var v = Value();
                        sup = sup with
                        {
                            LogFormat = v switch
                            {
                                "text" => LogFormat.Text,
                                "json" => LogFormat.Json,
                                _ => throw new UsageException($"option '--log-format' got '{v}': expected text or json"),
                            },
                        };
                        break;
                    }
                case "--ready-interval":
                    o = o with { ReadyInterval = PositiveDuration(name, Value()) };
                    break;
                case "--ready-timeout":
                    o = o with { ReadyTimeout = PositiveDuration(name, Value()) };
                    break;
                case "--scan-interval":
                    sup = sup with { ScanInterval = PositiveDuration(name, Value()) };
                    break;
                case "--stop-timeout":
                    {
                        var v = Value();
                        if (!Duration.TryParse(v,
                            out var d)) throw new UsageException($"option '--stop-timeout' got '{v}': expected {Duration.Expected}");
                        o = o with { StopTimeout = d };
                        break;
                    }
                case "--cleanup-timeout":
                    {
                        var v = Value();
                        if (!Duration.TryParse(v,
                            out var d)) throw new UsageException($"option '--cleanup-timeout' got '{v}': expected {Duration.Expected}");
                        o = o with { CleanupTimeout = d };
                        break;
                    }
                case "--kill-mode":
                    {
                        var v = Value();
                        o = o with
                        {
                            KillMode = v switch
                            {
                                "lineage" => KillMode.Lineage,
                                "control-group" => KillMode.ControlGroup,
                                "mixed" => KillMode.Mixed,
                                "process" => KillMode.Process,
                                _ =>
                                    throw new UsageException($"option '--kill-mode' got '{v}': expected lineage, control-group, mixed or " +
                                        $"process (see docs/lineage.md)"),
                            },
                        };
                        break;
                    }
                case "--restart":
                    {
                        var v = Value();
                        o = o with
                        {
                            Restart = v switch
                            {
                                "always" => Restart.Always,
                                "on-failure" => Restart.OnFailure,
                                "never" => Restart.Never,
                                _ => throw new UsageException($"option '--restart' got '{v}': expected always, on-failure or never"),
                            },
                        };
                        break;
                    }
            }
        }
        for (var k = 0; k < reader.AfterDashes.Count; k++) lines.Add(CheckLine(reader.AfterDashes[k],
            args.Count - reader.AfterDashes.Count + k));
        return o with
        {
            Supervisor = sup,
            CommandLines = lines,
            Ready = [.. o.Ready.Select(r => (r.Service, r.Readiness with { Interval = o.ReadyInterval, Timeout = o.ReadyTimeout }))],
            // A watchdog's deadline is its own interval: --alive-* do not apply to it.
            Alive = [.. o.Alive.Select(r => (r.Service, r.Liveness.Check.Kind == CheckKind.Watchdog ? r.Liveness
                : r.Liveness with { Interval = o.AliveInterval, Timeout = o.AliveTimeout, Failures = o.AliveFailures }))],
        };
    }

    /// <summary>The NAME=CHECK value of <c>--ready</c> or <c>--alive</c>.</summary>
    /// <exception cref="UsageException">No NAME=, a bad check, or a second check for one service.</exception>
    private static (string Service, T Check) NamedCheck<T>(string option, string v, Func<string, T> parse, IEnumerable<string> given)
    {
        var at = v.IndexOf('=');
        if (at <=
            0) throw new UsageException($"option '{option}' got '{v}': expected NAME=CHECK, such as web=tcp:8080 " +
                $"(CHECK: {Check.Expected})");
        var service = v[..at];
        T check;
        try { check = parse(v[(at + 1)..]); }
        catch (FormatException e) { throw new UsageException($"option '{option}' for '{service}': {PlainMessage.Of(e)}"); }
        if (given.Contains(service)) throw new UsageException($"option '{option}' gives service '{service}' two checks: give one");
        return (service, check);
    }

    private static TimeSpan PositiveDuration(string name, string v)
    {
        if (!Duration.TryParse(v,
            out var d)
            || d <= TimeSpan.Zero) throw new UsageException($"option '{name}' got '{v}': expected {Duration.Expected}, more than zero");
        return d;
    }

    private static string CheckLine(string line, int index)
    {
        if (string.IsNullOrWhiteSpace(line))
            throw new UsageException($"argument {(index + 1).ToString(CultureInfo.InvariantCulture)} is " +
                $"{(line.Length == 0 ? "empty" : "blank")}: each argument is one command line, such as \"/usr/sbin/sshd\"");
        try { ShellWords.Split(line); }
        catch (FormatException e) {
            throw new UsageException($"argument {(index + 1).ToString(CultureInfo.InvariantCulture)}: {PlainMessage.Of(e)}"); }
        return line;
    }

    /// <summary>"unknown option '--log-prefx'; did you mean '--log-prefix'?"</summary>
    public static string UnknownOption(string name, IEnumerable<string>? extra = null)
    {
        var all = Options.Select(o => o.Name).Concat(extra ?? []);
        var best = all.Select(n => (n, d: Levenshtein(n, name))).OrderBy(x => x.d).FirstOrDefault();
        var hint = best.n is not null && best.d <= Math.Max(2,
            name.Length / 3) ? $"; did you mean '{best.n}'?" : "; run with --help to see the options";
        return $"unknown option '{name}'{hint} (a command line that starts with '-' goes after --)";
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
