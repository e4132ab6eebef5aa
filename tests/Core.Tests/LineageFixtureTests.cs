using Tend.Posix;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>
/// The verdicts of <see cref="Identity"/> on what real Debian daemons did, recorded by Tend (Fixtures/Lineage, written
/// with TEND_RECORD_FIXTURES by the daemon tests): each real input of issue 23 as a millisecond test. A new input found
/// in the field becomes one more fixture here.
/// </summary>
[Trait("Category", "Unit")]
public class LineageFixtureTests
{
    public static TheoryData<string> All => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Lineage"), "*.jsonl")
        .Select(f => Path.GetFileNameWithoutExtension(f)!).Order()];

    private static string Comm(LineageFixture.Table table, int? pid) => pid is { } p && table.Find(p) is { } s ? s.Comm : "?";

    [Theory, MemberData(nameof(All))]
    public void Replayed_verdicts_say_what_tend_said_live_and_a_main_process_is_always_one_of_the_runs(string name)
    {
        var f = LineageFixture.Replay(name);
        Assert.NotEmpty(f.Steps);
        foreach (var s in f.Steps)
        {
            Assert.True(s.RecordedOutcome == s.Outcome && s.RecordedMain == s.After.Main?.Pid,
                $"{name} at {s.T} ms ({s.Kind} of {s.Service}): live {s.RecordedOutcome} (main {s.RecordedMain}), replayed {s.Outcome} (main {s.After.Main?.Pid})");
            // A main process chosen by a verdict carries the run's mark: never a stranger.
            if (s.After.Main is { Launched: false } main && s.Outcome is "handover" or "HandOver")
                Assert.Equal(s.After.Mark, s.Table.Find(main.Pid)?.Mark);
        }
    }

    [Fact]
    public void Sshd_with_a_connection_in_its_first_100_ms_never_hands_over_and_its_kill_ends_the_run()
    {
        var f = LineageFixture.Replay("sshd-login-in-first-100ms");
        Assert.DoesNotContain(f.Steps, s => s.Outcome is "handover" or "HandOver");
        // The connection's session (sshd's child in a session of its own) was seen, and counted as its own.
        var kill = f.Steps.First(s => s.Kind == "exit" && s.Status is { Signal: Libc.SIGKILL });
        Assert.Equal("Ended", kill.Outcome);
        var listener = kill.ExitedPid!.Value;
        var looked = f.Steps.Last(s => s.Kind == "look" && s.T < kill.T);
        var connection = looked.Table.Processes.First(p => p.Comm == "sshd" && p.Sid == p.Pid && p.Ppid == listener);
        Assert.Contains(connection.Sid, looked.After.Foreign);
        Assert.DoesNotContain(connection.Pgid, looked.After.Groups);
        Assert.DoesNotContain(connection.Pgid, kill.After.Groups);
    }

    [Fact]
    public void Nginxs_binary_upgrade_hands_over_to_the_new_master_and_its_kill_ends_the_run()
    {
        var f = LineageFixture.Replay("nginx-binary-upgrade");
        var upgrade = f.Steps.Single(s => s.Kind == "exit" && s.Before.Main?.Pid == s.ExitedPid && s.Status is { Success: true } && s.Before.Launcher is null);
        Assert.Equal("HandOver", upgrade.Outcome);
        Assert.Equal("nginx", Comm(upgrade.Table, upgrade.After.Main!.Pid));
        Assert.True(upgrade.After.Main.StartTime > upgrade.Before.Main!.StartTime);
        var kill = f.Steps.Last(s => s.Kind == "exit" && s.Status is { Signal: Libc.SIGKILL });
        Assert.Equal("Ended", kill.Outcome);
        Assert.Equal(upgrade.After.Main.Pid, kill.ExitedPid);
    }

    [Fact]
    public void Mysqld_safe_as_the_command_stays_the_main_process_and_its_kill_leaves_the_server_to_be_stopped()
    {
        var f = LineageFixture.Replay("mysqld-safe-direct");
        Assert.DoesNotContain(f.Steps, s => s.Outcome is "handover" or "HandOver");
        var kill = f.Steps.First(s => s.Kind == "exit" && s.Status is { Signal: Libc.SIGKILL });
        Assert.Equal("Ended", kill.Outcome);
        Assert.Equal("mysqld_safe", Comm(f.Tables.Last(t => t.Find(kill.ExitedPid!.Value) is not null), kill.ExitedPid));
        var server = kill.Table.Processes.First(p => p.Comm == "mariadbd" && p.Mark == kill.Before.Mark);
        Assert.Contains(server.Pgid, kill.After.Groups);
    }

    [Fact]
    public void Apaches_lingering_script_hands_over_to_apache_at_once_and_a_kill_or_a_stop_by_hand_ends_the_run_at_once()
    {
        var f = LineageFixture.Replay("apache2-script-lingering");
        var early = f.Steps.Where(s => s.Kind == "look" && s.Outcome == "handover").ToList();
        Assert.NotEmpty(early);
        foreach (var h in early)
        {
            // While the script (its launcher) still runs, the daemon it detached is the main process: apache's master, not a worker.
            Assert.NotNull(h.After.Launcher);
            Assert.Equal("/usr/sbin/apache2", h.Table.Exe(h.After.Main!.Pid));
            Assert.Equal(f.Self, h.Table.Find(h.After.Main.Pid)!.Value.Ppid);
        }
        // kill -9 (signal) and `/etc/init.d/apache2 stop` by hand (exit 0) of that daemon while the script lingers: the run
        // ended — a restart now, not once the script is done, and never a hand-over to the script.
        var ends = f.Steps.Where(s => s.Kind == "exit" && s.Before.LauncherLingers && s.ExitedPid == s.Before.Main!.Pid).ToList();
        Assert.Contains(ends, s => s.Status is { Signal: Libc.SIGKILL });
        Assert.Contains(ends, s => s.Status is { Success: true });
        Assert.All(ends, s => Assert.Equal("Ended", s.Outcome));
    }

    [Fact]
    public void Postgresql_while_pg_ctlcluster_waits_a_stop_reaches_the_server_pg_ctl_detached()
    {
        var f = LineageFixture.Replay("postgresql-pg-ctl-waiting");
        // pg_ctl and pg_ctlcluster are launchers, never the main process.
        Assert.DoesNotContain(f.Steps, s => s.Outcome is "handover" or "HandOver" && Comm(s.Table, s.After.Main?.Pid) is "pg_ctl" or "pg_ctlcluster");
        // What a stop would reach at the last look: the groups of every process of the run, the server's (a session of its own) among them.
        var last = f.Steps.Last(s => s.Kind == "look");
        var spec = f.Specs[0];
        var reached = Identity.Reach(spec, last.After, Libc.SIGTERM, f.Tables.Last(), last.T).Targets;
        var server = f.Tables.Last().Processes.First(p => p.Comm == "postgres" && p.Ppid != p.Pgid && p.Sid == p.Pid);
        Assert.Contains(SignalTarget.Group(server.Pgid), reached);
        foreach (var p in f.Tables.Last().Processes.Where(p => p.Mark == last.After.Mark))
            Assert.Contains(SignalTarget.Group(p.Pgid), reached);
    }
}
