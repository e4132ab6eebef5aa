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
                $"{name} at {s.T} ms ({s.Kind} of {s.Service}): live {s.RecordedOutcome} (main {s.RecordedMain}), " +
                    $"replayed {s.Outcome} (main {s.After.Main?.Pid})");
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
        // A session the listener started running its own executable: part of its start-up, never the daemon.
        Assert.Contains(connection.Sid, looked.After.LauncherSessions);
        Assert.NotEqual(connection.Pid, kill.Before.Main!.Pid);
    }

    [Fact]
    public void Nginxs_binary_upgrade_hands_over_to_the_new_master_and_its_kill_ends_the_run()
    {
        var f = LineageFixture.Replay("nginx-binary-upgrade");
        var upgrade = f.Steps.Single(s => s.Kind == "exit" && s.Before.Main?.Pid == s.ExitedPid && s.Status is { Success: true }
            && s.Before.Launcher is null);
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
        Assert.DoesNotContain(f.Steps, s => s.Outcome is "handover" or "HandOver" && Comm(s.Table,
            s.After.Main?.Pid) is "pg_ctl" or "pg_ctlcluster");
        // What a stop would reach at the last look: the groups of every process of the run, the server's (a session of its own) among them.
        var last = f.Steps.Last(s => s.Kind == "look");
        var spec = f.Specs[0];
        var reached = Identity.Reach(spec, last.After, Libc.SIGTERM, f.Tables.Last(), last.T).Targets;
        var server = f.Tables.Last().Processes.First(p => p.Comm == "postgres" && p.Ppid != p.Pgid && p.Sid == p.Pid);
        Assert.Contains(SignalTarget.Group(server.Pgid), reached);
        foreach (var p in f.Tables.Last().Processes.Where(p => p.Mark == last.After.Mark))
            Assert.Contains(SignalTarget.Group(p.Pgid), reached);
    }

    [Theory]
    [InlineData("app-helper-child")]
    [InlineData("app-helper-reparented")]
    public void An_applications_helper_in_a_session_of_its_own_is_never_its_main_process_and_is_stopped_with_it(string name)
    {
        var f = LineageFixture.Replay(name);
        Assert.DoesNotContain(f.Steps, s => s.Outcome is "handover" or "HandOver");
        var kill = f.Steps.First(s => s.Kind == "exit" && s.Status is { Signal: Libc.SIGKILL });
        Assert.Equal("Ended", kill.Outcome);
        Assert.Equal("appd", Comm(f.Tables.Last(t => t.Find(kill.ExitedPid!.Value) is not null), kill.ExitedPid));
        var helper = f.Tables.SelectMany(t => t.Processes).First(p => p.Comm == "helperd" && p.Mark == kill.Before.Mark);
        Assert.Contains(helper.Pgid, kill.After.Groups);
    }

    [Fact]
    public void A_dead_runs_group_id_taken_by_a_stranger_is_never_reached()
    {
        var f = LineageFixture.Replay("reused-group-id");
        var spec = f.Specs[0];
        // The cleanup after kill -9: the helper's group (recorded while starting up) now belongs to strangerA.
        var kill = f.Steps.First(s => s.Kind == "exit" && s.Status is { Signal: Libc.SIGKILL });
        var strangerA = kill.Table.Processes.First(p => p.Comm == "strangerA");
        Assert.Contains(strangerA.Pgid, kill.After.Groups);
        Assert.DoesNotContain(SignalTarget.Group(strangerA.Pgid), Identity.Reach(spec, kill.After with { Main = null }, Libc.SIGTERM,
            kill.Table, kill.T).Targets);
        // tend stop in the next run: its helper's group now belongs to strangerB; the application's group is reached.
        var last = f.Steps.Last(s => s.Kind == "look");
        var table = f.Tables.Last(t => t.Processes.Any(p => p.Comm == "appd"));
        var strangerB = table.Processes.First(p => p.Comm == "strangerB");
        Assert.Contains(strangerB.Pgid, last.After.Groups);
        var reached = Identity.Reach(spec, last.After, Libc.SIGTERM, table, last.T).Targets;
        Assert.DoesNotContain(SignalTarget.Group(strangerB.Pgid), reached);
        Assert.DoesNotContain(SignalTarget.Group(strangerA.Pgid), reached);
        Assert.Contains(SignalTarget.Group(last.After.Main!.Pgid), reached);
    }

    [Fact]
    public void Service_apache2_restart_by_hand_is_a_restart_of_tends_own_run_never_a_follow_of_the_hand_run_apache()
    {
        var f = LineageFixture.Replay("apache2-restart-by-hand");
        // Every main process a verdict chose carries the run's mark (the apache the operator's script started does not).
        var chosen = f.Steps.Where(s => s.Outcome is "handover" or "HandOver").ToList();
        Assert.True(chosen.Count >= 2, "expected the first run's and the restarted run's hand-overs");
        foreach (var s in chosen)
            Assert.Equal(s.After.Mark, s.Table.Find(s.After.Main!.Pid)?.Mark);
        // Its stop of apache ended the run (a restart now), not a hand-over.
        Assert.Contains(f.Steps, s => s.Kind == "exit" && s.Outcome == "Ended" && s.Status is { Success: true });
    }
}
