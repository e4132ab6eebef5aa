using System.Text.Json;
using Tend.Posix;

namespace Tend.Supervision;

/// <summary>
/// Writes down what the lineage verdicts see — every spawn, every process table read (every process in it), every exit and every verdict
/// call — one JSON
/// object per line, so that a real daemon's start-up, restart or upgrade can be kept as a fixture and replayed against
/// <see cref="Identity"/> in a millisecond test. Turned on with the environment variable <c>TEND_LINEAGE_TRACE=FILE</c>;
/// off, it costs nothing.
/// </summary>
internal sealed class LineageTrace : IDisposable
{
    /// <summary>The variable that names the trace file.</summary>
    public const string Variable = "TEND_LINEAGE_TRACE";

    private readonly FileStream _file;
    private readonly Utf8JsonWriter _json;
    private readonly Func<long> _now;

    private LineageTrace(string path, Func<long> now)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_file);
        _now = now;
    }

    /// <summary>The trace named by <see cref="Variable"/>, or null (not set, or the file cannot be made: <paramref name="problem"/> says
    /// why).</summary>
    public static LineageTrace? FromEnvironment(Func<long> now, out string? problem)
    {
        problem = null;
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path) return null;
        try { return new LineageTrace(path, now); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{Variable}={path}: cannot write the lineage trace there ({e.GetType().Name}); tracing is off";
            return null;
        }
    }

    /// <summary>The first line: who Tend is, and the services in table order with what the verdicts read of them.</summary>
    public void Header(int self, int selfGroup, IEnumerable<ServiceSpec> services) => Line(w =>
    {
        w.WriteNumber("self", self);
        w.WriteNumber("selfGroup", selfGroup);
        w.WriteStartArray("services");
        foreach (var s in services)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("command", s.Command.ToString());
            w.WriteString("matchName", s.EffectiveMatchName);
            w.WriteString("killMode", s.KillMode.ToString());
            w.WriteBoolean("oneShot", s.OneShot);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>Service <paramref name="service"/> was spawned as <paramref name="pid"/>, marked <paramref name="mark"/>.</summary>
    public void Spawn(int service, int pid, ulong startLowerBound, ulong mark) => Line(w =>
    {
        w.WriteNumber("spawn", service);
        w.WriteNumber("pid", pid);
        w.WriteNumber("start", startLowerBound);
        w.WriteNumber("mark", mark);
    });

    /// <summary>
    /// A process table was read: every process in it (a stranger that took a dead run's group id is part of what a
    /// verdict must not be fooled by), with its executable.
    /// </summary>
    public void Table(IReadOnlyList<ProcStat> processes, IProcessTable table)
    {
        Line(w =>
        {
            w.WriteStartArray("table");
            foreach (var p in processes)
            {
                w.WriteStartObject();
                w.WriteNumber("pid", p.Pid);
                w.WriteNumber("ppid", p.Ppid);
                w.WriteNumber("pgid", p.Pgid);
                w.WriteNumber("sid", p.Sid);
                w.WriteString("state", p.State.ToString());
                w.WriteNumber("start", p.StartTime);
                w.WriteNumber("mark", p.Mark);
                w.WriteString("comm", p.Comm);
                if (table.Exe(p.Pid) is { } exe) w.WriteString("exe", exe);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>An exit Tend reaped (or a tracked process found gone: <see cref="ExitStatus.Unknown"/>).</summary>
    public void Exit(int pid, ExitStatus status) => Line(w =>
    {
        w.WriteNumber("exit", pid);
        w.WriteNumber("code", status.Code);
        w.WriteNumber("signal", status.Signal);
        if (status.Unknown) w.WriteBoolean("unknown", true);
    });

    /// <summary>A verdict was asked for (<c>look</c> or <c>exit</c>) on service <paramref name="service"/>, and what it said.</summary>
    public void Verdict(string kind, int service, string outcome, int? main) => Line(w =>
    {
        w.WriteString("verdict", kind);
        w.WriteNumber("service", service);
        w.WriteString("outcome", outcome);
        if (main is { } m) w.WriteNumber("main", m);
    });

    /// <summary>Service <paramref name="service"/>'s run has started up: Tend made its last look at it (tests wait for this line
    /// rather than guess from the looks' times).</summary>
    public void StartedUp(int service) => Line(w => w.WriteNumber("startedUp", service));

    private void Line(Action<Utf8JsonWriter> body)
    {
        _json.WriteStartObject();
        _json.WriteNumber("t", _now());
        body(_json);
        _json.WriteEndObject();
        _json.Flush();
        _file.WriteByte((byte)'\n');
        _file.Flush();
        _json.Reset();
    }

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}
