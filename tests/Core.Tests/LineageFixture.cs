using System.Collections.Immutable;
using System.Text.Json;
using Tend.Posix;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>
/// A lineage trace Tend wrote while a real daemon ran (<see cref="LineageTrace"/>, kept under Fixtures/Lineage), replayed
/// against <see cref="Identity"/>: every verdict Tend asked for, asked again of the pure module with the same process
/// table and clock, in order. What each replayed verdict said is in <see cref="Steps"/>.
/// </summary>
internal sealed class LineageFixture
{
    /// <summary>One process table as the trace has it.</summary>
    public sealed class Table(List<(ProcStat Stat, string? Exe)> rows) : IProcessTable
    {
        public List<(ProcStat Stat, string? Exe)> Rows { get; } = rows;

        public IReadOnlyList<ProcStat> Processes { get; } = rows.Select(r => r.Stat).ToList();

        public string? Exe(int pid) => Rows.FirstOrDefault(r => r.Stat.Pid == pid).Exe;

        public ProcStat? Find(int pid) => Processes.Any(p => p.Pid == pid) ? Processes.First(p => p.Pid == pid) : null;
    }

    /// <summary>One replayed verdict: when, on which service, what it was asked about, what Tend said live, what the module says
    /// now.</summary>
    public sealed record Step(long T, string Kind, string Service, int? ExitedPid, ExitStatus? Status, string RecordedOutcome,
        int? RecordedMain,
        string Outcome, RunIdentity Before, RunIdentity After, Table Table);

    public int Self { get; }
    public List<string> Services { get; } = [];
    public List<ServiceSpec> Specs { get; } = [];
    public List<Step> Steps { get; } = [];

    /// <summary>Every spawn of the trace, in order: when (ms, Tend's clock), which service, its pid.</summary>
    public List<(long T, int Service, int Pid)> Spawns { get; } = [];

    /// <summary>The moments a service's run started up: Tend's last look at it (live traces; the recorded fixtures predate them).</summary>
    public List<(long T, int Service)> StartedUp { get; } = [];

    /// <summary>Every process table of the trace, in order (for assertions about what was there).</summary>
    public List<Table> Tables { get; } = [];

    private LineageFixture(int self) => Self = self;

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Lineage", name + ".jsonl");

    /// <summary>Replays the fixture <paramref name="name"/> with the services' specs as the trace gives them.</summary>
    public static LineageFixture Replay(string name) => Replay(File.ReadLines(PathOf(name)), name);

    /// <summary>
    /// Replays the trace Tend is writing at <paramref name="path"/> now, as far as it goes (its complete lines; a last line
    /// Tend has not finished is left for the next read).
    /// </summary>
    public static LineageFixture ReplayLive(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var text = new StreamReader(stream).ReadToEnd();
        return Replay(text[..(text.LastIndexOf('\n') + 1)].Split('\n'), path);
    }

    private static LineageFixture Replay(IEnumerable<string> lines, string name)
    {
        LineageFixture? f = null;
        var selfGroup = 0;
        var runs = new Dictionary<int, RunIdentity>();
        Table? table = null;
        (int Pid, ExitStatus Status)? lastExit = null;
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var t = e.GetProperty("t").GetInt64();
            if (e.TryGetProperty("self", out var self))
            {
                f = new LineageFixture(self.GetInt32());
                selfGroup = e.GetProperty("selfGroup").GetInt32();
                foreach (var s in e.GetProperty("services").EnumerateArray())
                {
                    var service = s.GetProperty("name").GetString()!;
                    f.Services.Add(service);
                    f.Specs.Add(new ServiceSpec(service, Command.Parse(s.GetProperty("command").GetString()!))
                    {
                        MatchName = s.GetProperty("matchName").GetString(),
                        KillMode = Enum.Parse<KillMode>(s.GetProperty("killMode").GetString()!),
                        OneShot = s.GetProperty("oneShot").GetBoolean(),
                    });
                }
            }
            else if (e.TryGetProperty("spawn", out var spawn))
            {
                var pid = e.GetProperty("pid").GetInt32();
                f!.Spawns.Add((t, spawn.GetInt32(), pid));
                runs[spawn.GetInt32()] = RunIdentity.Started(
                    new TrackedProcess(pid, e.GetProperty("start").GetUInt64(), pid, IsChild: true, Launched: true, Sid: pid),
                        e.GetProperty("mark").GetUInt64(), t);
            }
            else if (e.TryGetProperty("table", out var rows))
            {
                table = new Table([.. rows.EnumerateArray().Select(r => (new ProcStat(r.GetProperty("pid").GetInt32(),
                    r.GetProperty("comm").GetString()!,
                    r.GetProperty("state").GetString()![0], r.GetProperty("ppid").GetInt32(), r.GetProperty("pgid").GetInt32(),
                        r.GetProperty("start").GetUInt64(),
                    r.GetProperty("sid").GetInt32(), r.GetProperty("mark").GetUInt64()), r.TryGetProperty("exe",
                        out var exe) ? exe.GetString() : null))]);
                f!.Tables.Add(table);
            }
            else if (e.TryGetProperty("exit", out var exit))
            {
                var status = e.TryGetProperty("unknown", out _) ? ExitStatus.Vanished
                    : e.GetProperty("signal").GetInt32() is > 0 and var sig ? ExitStatus.Killed(sig)
                        : ExitStatus.Exited(e.GetProperty("code").GetInt32());
                lastExit = (exit.GetInt32(), status);
            }
            else if (e.TryGetProperty("startedUp", out var startedUp))
                f!.StartedUp.Add((t, startedUp.GetInt32()));
            else if (e.TryGetProperty("verdict", out var verdict))
            {
                var i = e.GetProperty("service").GetInt32();
                var spec = f!.Specs[i];
                var before = runs[i];
                var recorded = e.GetProperty("outcome").GetString()!;
                int? recordedMain = e.TryGetProperty("main", out var m) ? m.GetInt32() : null;
                var current = table ?? new Table([]);
                if (verdict.GetString() == "look")
                {
                    var v = Identity.OnLook(spec, before, current, t, f.Self, selfGroup);
                    runs[i] = v.Run;
                    f.Steps.Add(new Step(t, "look", f.Services[i], null, null, recorded, recordedMain,
                        v.MainVanished ? "vanished" : v.Why is null ? "seen" : "handover", before, v.Run, current));
                }
                else
                {
                    var (pid, status) = lastExit!.Value;
                    var v = Identity.OnExit(spec, before, pid, status, current, t, f.Self, selfGroup);
                    runs[i] = v.Run;
                    f.Steps.Add(new Step(t, "exit", f.Services[i], pid, status, recorded, recordedMain, v.Kind.ToString(), before, v.Run,
                        current));
                }
            }
        }
        return f ?? throw new InvalidDataException($"{name}: no header line");
    }
}

/// <summary>
/// Keeping a run's lineage trace as a fixture: with TEND_RECORD_FIXTURES=DIR set, a test that runs a real daemon gives
/// Tend TEND_LINEAGE_TRACE=<see cref="Path"/> and, when done, keeps the trace as DIR/NAME.jsonl (then reviewed and
/// committed under tests/Core.Tests/Fixtures/Lineage). Without the variable, nothing is written.
/// </summary>
internal sealed class FixtureRecording(string name) : IDisposable
{
    private static readonly string? Dir = Environment.GetEnvironmentVariable("TEND_RECORD_FIXTURES") is { Length: > 0 } d ? d : null;

    /// <summary>Where Tend writes the trace (outside /tmp, which the daemon namespaces hide), or null when not recording.</summary>
    public string? Path { get; } = Dir is null ? null : System.IO.Path.Combine("/var/tmp", $"tend-trace-{name}-{Guid.NewGuid():N}.jsonl");

    /// <summary>A setup line that hands the trace file to Tend ("" when not recording).</summary>
    public string Setup => Path is null ? "" : $"export TEND_LINEAGE_TRACE={Path}";

    public void Dispose()
    {
        if (Path is null || !File.Exists(Path)) return;
        File.Copy(Path, System.IO.Path.Combine(Dir!, name + ".jsonl"), overwrite: true);
        File.Delete(Path);
    }
}
