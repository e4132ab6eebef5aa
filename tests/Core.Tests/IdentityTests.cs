using Tend.Posix;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>
/// The verdicts on which processes are a service (<see cref="Identity"/>) on fake process tables: each kind of input of
/// issue 23 that made Tend follow the wrong process, or signal one that is not the service's.
/// </summary>
[Trait("Category", "Unit")]
public class IdentityTests
{
    private const int Tend = 1;
    private const int TendGroup = 1;
    private const ulong Mark = RunMarks.Base | 7;
    private const long T0 = 10_000;

    /// <summary>A fake process table: stats plus executables.</summary>
    private sealed class Table(params (ProcStat Stat, string Exe)[] rows) : IProcessTable
    {
        public IReadOnlyList<ProcStat> Processes { get; } = rows.Select(r => r.Stat).ToList();

        public string? Exe(int pid) => rows.FirstOrDefault(r => r.Stat.Pid == pid).Exe;
    }

    private static (ProcStat, string) P(int pid, int ppid, int pgid, int sid, string comm, string exe, ulong start = 100, ulong mark = Mark,
        char state = 'S') =>
        (new ProcStat(pid, comm, state, ppid, pgid, start, sid, mark), exe);

    private static ServiceSpec Spec(string command) => new(Command.Parse(command).BaseName, Command.Parse(command));

    /// <summary>A run spawned at <see cref="T0"/> as <paramref name="pid"/> (a session leader, as posix_spawn's setsid makes it).</summary>
    private static RunIdentity Spawned(int pid) => RunIdentity.Started(new TrackedProcess(pid, 50, pid, IsChild: true, Launched: true,
        Sid: pid), Mark, T0);

    private static RunIdentity Look(ServiceSpec spec, RunIdentity run, Table table, long at, out LookVerdict verdict)
    {
        verdict = Identity.OnLook(spec, run, table, at, Tend, TendGroup);
        return verdict.Run;
    }

    [Fact]
    public void Input_1_a_connection_in_sshds_first_second_is_never_taken_for_the_daemon()
    {
        // tend /usr/sbin/sshd as PID 1's child: sshd does not daemonize; a connection 100 ms in starts its child in a
        // session of its own, running /usr/sbin/sshd.
        var spec = Spec("/usr/sbin/sshd");
        var run = Spawned(10);
        var table = new Table(
            P(10, Tend, 10, 10, "sshd", "/usr/sbin/sshd"),
            P(11, 10, 11, 11, "sshd", "/usr/sbin/sshd", start: 110),
            P(12, 11, 11, 11, "bash", "/usr/bin/bash", start: 120));
        run = Look(spec, run, table, T0 + 100, out var look);
        Assert.Null(look.Why);
        Assert.Equal(10, run.Main!.Pid);
        Assert.Equal([11], run.LauncherSessions.ToArray());

        // tend stop: the listener is reached (and the connection, part of its start-up).
        var (targets, _) = Identity.Reach(spec, run, Libc.SIGTERM, table, T0 + 200);
        Assert.Contains(SignalTarget.Group(10), targets);

        // kill -9 of the listener: the run ended (a restart follows).
        var afterKill = new Table(P(11, Tend, 11, 11, "sshd", "/usr/sbin/sshd", start: 110), P(12, 11, 11, 11, "bash", "/usr/bin/bash",
            start: 120));
        Assert.Equal(ExitVerdictKind.Ended, Identity.OnExit(spec, run, 10, ExitStatus.Killed(Libc.SIGKILL), afterKill, T0 + 300, Tend,
            TendGroup).Kind);
        // Stopped by hand 250 ms in (sshd exits 0 on SIGTERM): its connection is not the daemon it handed over to.
        var stopped = Identity.OnExit(spec, run, 10, ExitStatus.Exited(0), afterKill, T0 + 250, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, stopped.Kind);
    }

    [Fact]
    public void A_daemonizing_server_that_forks_a_copy_of_itself_and_exits_hands_over_to_it()
    {
        // nginx in its default mode: the launcher forks the master (setsid) and exits 0. While it still runs, the master is
        // its child running its executable, like a login; once it exited 0, it is the service.
        var spec = Spec("nginx");
        var run = Spawned(20);
        var before = new Table(P(20, Tend, 20, 20, "nginx", "/usr/sbin/nginx"), P(21, 20, 21, 21, "nginx", "/usr/sbin/nginx", start: 101));
        run = Look(spec, run, before, T0 + 20, out _);
        Assert.Equal(20, run.Main!.Pid);
        Assert.Equal([21], run.LauncherSessions.ToArray());
        var after = new Table(P(21, Tend, 21, 21, "nginx", "/usr/sbin/nginx", start: 101), P(22, 21, 21, 21, "nginx", "/usr/sbin/nginx",
            start: 102));
        var exit = Identity.OnExit(spec, run, 20, ExitStatus.Exited(0), after, T0 + 30, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.HandOver, exit.Kind);
        Assert.Equal(21, exit.Run.Main!.Pid);
        Assert.Empty(exit.Run.Foreign);
        Assert.Null(exit.Run.Launcher);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Input_2_a_helper_the_application_starts_in_a_session_of_its_own_is_not_taken_for_it(bool reparented)
    {
        // The application (a binary, not called like the helper) starts a helper with setsid: its child, or re-parented to
        // Tend (setsid -f). The application stays the main process; its helper is part of its start-up.
        var spec = Spec("/usr/local/bin/appd");
        var run = Spawned(30);
        var table = new Table(
            P(30, Tend, 30, 30, "appd", "/usr/local/bin/appd"),
            P(31, reparented ? Tend : 30, 31, 31, "helperd", "/usr/local/bin/helperd", start: 150));
        run = Look(spec, run, table, T0 + 500, out var look);
        Assert.Null(look.Why);
        Assert.Equal(30, run.Main!.Pid);
        Assert.Equal([30, 31], (run.Groups).ToArray());

        var afterKill = new Table(P(31, Tend, 31, 31, "helperd", "/usr/local/bin/helperd", start: 150));
        var exit = Identity.OnExit(spec, run, 30, ExitStatus.Killed(Libc.SIGKILL), afterKill, T0 + 600, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, exit.Kind);
        Assert.Equal(Libc.SIGKILL, exit.Status.Signal);
        // What it started while starting up is stopped before the restart.
        var (targets, _) = Identity.Reach(spec, exit.Run with { Main = null }, Libc.SIGTERM, afterKill, T0 + 600);
        Assert.Equal([SignalTarget.Group(31)], (targets).ToArray());
    }

    [Fact]
    public void Apaches_script_lingering_hands_over_at_once_to_its_daemon_and_keeps_it_when_it_exits_0()
    {
        // /etc/init.d/apache2 start: the script (comm apache2, running /bin/dash) waits for the pid file; apache2 detached
        // and was re-parented to Tend.
        var spec = Spec("/etc/init.d/apache2 start");
        var run = Spawned(40);
        var table = new Table(
            P(40, Tend, 40, 40, "apache2", "/usr/bin/dash"),
            P(41, 40, 40, 40, "sleep", "/usr/bin/sleep", start: 130),
            P(45, Tend, 45, 45, "apache2", "/usr/sbin/apache2", start: 120),
            P(46, 45, 45, 45, "apache2", "/usr/sbin/apache2", start: 125));
        run = Look(spec, run, table, T0 + 300, out var look);
        Assert.NotNull(look.Why);
        Assert.Equal(45, run.Main!.Pid);
        Assert.Equal(40, run.Launcher!.Pid);

        var after = new Table(table.Processes.Skip(2).Select(p => (p, "/usr/sbin/apache2")).ToArray());
        var done = Identity.OnExit(spec, run, 40, ExitStatus.Exited(0), after, T0 + 900, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.LauncherDone, done.Kind);
        Assert.Equal(45, done.Run.Main!.Pid);
        Assert.Null(done.Run.Launcher);

        // A launcher that fails while its daemon runs ends the run: it is restarted whole.
        var failed = Identity.OnExit(spec, run, 40, ExitStatus.Exited(1), after, T0 + 900, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, failed.Kind);
        Assert.Equal(1, failed.Status.Code);
    }

    [Fact]
    public void Input_3_nginxs_binary_upgrade_hands_over_to_the_new_master_and_a_crash_does_not()
    {
        // Long after start-up: the master (pid 50, group and session 50) got USR2 and started a new master (60) in its
        // session; QUIT made the old one exit 0 once its workers were done. The new master was re-parented to Tend.
        var spec = Spec("nginx");
        var run = Spawned(49) with
        {
            Main = new TrackedProcess(50, 200, 50, IsChild: true, Launched: false, "nginx", 50), Launcher = null,
            Groups = [49, 50], StartupUntil = T0 + 3000,
        };
        var now = T0 + 60_000;
        var table = new Table(
            P(60, Tend, 50, 50, "nginx", "/usr/sbin/nginx", start: 5000),
            P(61, 60, 50, 50, "nginx", "/usr/sbin/nginx", start: 5001));
        var upgrade = Identity.OnExit(spec, run, 50, ExitStatus.Exited(0), table, now, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.HandOver, upgrade.Kind);
        Assert.Equal(60, upgrade.Run.Main!.Pid);

        // The same exit by a signal is a crash; an exit 0 that leaves only a process of another name is an end.
        Assert.Equal(ExitVerdictKind.Ended, Identity.OnExit(spec, run, 50, ExitStatus.Killed(Libc.SIGKILL), table, now, Tend,
            TendGroup).Kind);
        var other = new Table(P(60, Tend, 50, 50, "logger", "/usr/bin/logger", start: 5000));
        Assert.Equal(ExitVerdictKind.Ended, Identity.OnExit(spec, run, 50, ExitStatus.Exited(0), other, now, Tend, TendGroup).Kind);
        // An older process of its name (a worker that outlived it) is no new copy.
        var older = new Table(P(60, Tend, 50, 50, "nginx", "/usr/sbin/nginx", start: 150));
        Assert.Equal(ExitVerdictKind.Ended, Identity.OnExit(spec, run, 50, ExitStatus.Exited(0), older, now, Tend, TendGroup).Kind);
    }

    [Fact]
    public void Input_4_the_wrapper_is_the_main_process_once_the_init_script_exits_not_the_server_it_watches()
    {
        // service mariadb start: the script (session 70) runs mysqld_safe, which runs mariadbd in a session of its own.
        var spec = Spec("service mariadb start");
        var run = Spawned(70);
        var starting = new Table(
            P(70, Tend, 70, 70, "mariadb", "/usr/bin/dash"),
            P(71, 70, 70, 70, "mysqld_safe", "/usr/bin/dash", start: 110),
            P(72, 71, 72, 72, "mariadbd", "/usr/sbin/mariadbd", start: 120));
        run = Look(spec, run, starting, T0 + 400, out var look);
        Assert.Null(look.Why);
        Assert.Equal(70, run.Main!.Pid);

        var left = new Table(
            P(71, Tend, 70, 70, "mysqld_safe", "/usr/bin/dash", start: 110),
            P(72, 71, 72, 72, "mariadbd", "/usr/sbin/mariadbd", start: 120));
        var exit = Identity.OnExit(spec, run, 70, ExitStatus.Exited(0), left, T0 + 1500, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.HandOver, exit.Kind);
        Assert.Equal(71, exit.Run.Main!.Pid);

        // kill -9 of the wrapper ends the run, and the server is what is left of it.
        var server = new Table(P(72, Tend, 72, 72, "mariadbd", "/usr/sbin/mariadbd", start: 120));
        var killed = Identity.OnExit(spec, exit.Run, 71, ExitStatus.Killed(Libc.SIGKILL), server, T0 + 60_000, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, killed.Kind);
        Assert.Equal([SignalTarget.Group(72)], (Identity.Reach(spec, killed.Run with { Main = null }, Libc.SIGTERM, server,
            T0 + 60_000).Targets).ToArray());
    }

    [Fact]
    public void Input_4_a_wrapper_started_directly_stays_the_main_process_whatever_session_its_server_takes()
    {
        var spec = Spec("mysqld_safe");
        var run = Spawned(80);
        var table = new Table(
            P(80, Tend, 80, 80, "mysqld_safe", "/usr/bin/dash"),
            P(81, 80, 81, 81, "mariadbd", "/usr/sbin/mariadbd", start: 120));
        run = Look(spec, run, table, T0 + 400, out var look);
        Assert.Null(look.Why);
        Assert.Equal(80, run.Main!.Pid);
        Assert.Contains(81, run.Groups);
    }

    [Fact]
    public void Input_5_a_process_group_whose_id_a_stranger_took_is_never_signalled()
    {
        // The run recorded groups 90 (its launcher's) and 95 (a helper that detached while it started up). The helper
        // ended; pid 95 was handed to an unrelated process that leads a group of its own.
        var spec = Spec("/usr/local/bin/appd");
        var run = Spawned(90) with { Groups = [90, 95], StartupUntil = T0 + 1000 };
        var table = new Table(
            P(90, Tend, 90, 90, "appd", "/usr/local/bin/appd"),
            P(95, Tend, 95, 95, "stranger", "/usr/bin/stranger", start: 9000, mark: 0));
        var (targets, _) = Identity.Reach(spec, run, Libc.SIGTERM, table, T0 + 5000);
        Assert.Equal([SignalTarget.Group(90)], (targets).ToArray());
        // A stranger carrying another run's mark is no member either.
        var other = new Table(P(90, Tend, 90, 90, "appd", "/usr/local/bin/appd"), P(95, Tend, 95, 95, "x", "/x", start: 9000,
            mark: Mark + 1));
        Assert.Equal([SignalTarget.Group(90)], (Identity.Reach(spec, run, Libc.SIGTERM, other, T0 + 5000).Targets).ToArray());
        // The main process's own pid reused: neither it nor its group is reached.
        var reused = new Table(P(90, Tend, 90, 90, "stranger", "/usr/bin/stranger", start: 9500, mark: 0));
        var main = run with { Main = new TrackedProcess(90, 100, 90, true, false, "appd", 90) };
        Assert.Empty(Identity.Reach(spec, main, Libc.SIGTERM, reused, T0 + 5000).Targets);
        Assert.Null(Identity.MainTarget(main, reused));
    }

    [Fact]
    public void Without_a_mark_a_group_is_the_runs_while_its_leader_is_the_tracked_process_or_gone()
    {
        var spec = Spec("mydaemon");
        var adopted = RunIdentity.Started(new TrackedProcess(100, 300, 100, IsChild: false, Launched: false, "mydaemon", 100), 0, T0);
        var own = new Table(P(100, Tend, 100, 100, "mydaemon", "/d", start: 300, mark: 0), P(101, 100, 100, 100, "w", "/d", start: 310,
            mark: 0));
        Assert.True(Identity.IsRunsGroup(adopted, 100, own));
        var leaderGone = new Table(P(101, Tend, 100, 100, "w", "/d", start: 310, mark: 0));
        Assert.True(Identity.IsRunsGroup(adopted, 100, leaderGone));
        var stranger = new Table(P(100, Tend, 100, 100, "other", "/o", start: 900, mark: 0));
        Assert.False(Identity.IsRunsGroup(adopted, 100, stranger));
    }

    [Fact]
    public void In_kill_mode_process_only_the_main_process_is_reached()
    {
        var spec = Spec("/usr/local/bin/appd") with { KillMode = KillMode.Process };
        var run = Spawned(110) with { Groups = [110, 111] };
        var table = new Table(P(110, Tend, 110, 110, "appd", "/a", start: 60), P(111, 110, 111, 111, "h", "/h"));
        Assert.Equal([SignalTarget.Process(110, 50, true)], (Identity.Reach(spec, run, Libc.SIGTERM, table, T0 + 100).Targets).ToArray());
    }

    [Fact]
    public void Service_name_start_names_the_daemon_that_may_take_over_from_its_lingering_script()
    {
        // service apache2 start: the match name is "service", the init script it runs is /etc/init.d/apache2.
        var spec = Spec("service apache2 start");
        var run = Spawned(120);
        var table = new Table(
            P(120, Tend, 120, 120, "apache2", "/usr/bin/dash"),
            P(125, Tend, 125, 125, "apache2", "/usr/sbin/apache2", start: 120),
            P(126, Tend, 126, 126, "helperd", "/usr/sbin/helperd", start: 121));
        run = Look(spec, run, table, T0 + 300, out var look);
        Assert.NotNull(look.Why);
        Assert.Equal(125, run.Main!.Pid);
        // Another program's daemon is not named so: it waits for the launcher's end.
        var other = Spec("service other start");
        Assert.Null(Identity.OnLook(other, Spawned(120), table, T0 + 300, Tend, TendGroup).Why);
    }

    [Fact]
    public void A_helper_running_the_applications_own_program_in_a_session_of_its_own_is_stopped_with_it()
    {
        // A python application whose python helper runs in a session of its own (start_new_session=True).
        var spec = Spec("python3 /srv/app.py");
        var run = Spawned(130);
        var table = new Table(
            P(130, Tend, 130, 130, "python3", "/usr/bin/python3.11"),
            P(131, 130, 131, 131, "python3", "/usr/bin/python3.11", start: 150));
        run = Look(spec, run, table, T0 + 300, out _);
        Assert.Contains(131, run.Groups);
        var afterKill = new Table(P(131, Tend, 131, 131, "python3", "/usr/bin/python3.11", start: 150));
        var exit = Identity.OnExit(spec, run, 130, ExitStatus.Killed(Libc.SIGKILL), afterKill, T0 + 400, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, exit.Kind);
        Assert.Equal([SignalTarget.Group(131)], Identity.Reach(spec, exit.Run with { Main = null }, Libc.SIGTERM, afterKill,
            T0 + 400).Targets.ToArray());
    }

    [Fact]
    public void A_daemon_that_calls_setsid_after_it_was_taken_for_the_main_process_still_hands_over_to_its_new_copy()
    {
        // The launcher exited 0 before its daemon's setsid: Tend took the daemon (140) in the launcher's session and group.
        var spec = Spec("/usr/local/bin/pyd");
        var run = Spawned(139) with
        {
            Main = new TrackedProcess(140, 200, 139, IsChild: true, Launched: false, "pyd", 139), Launcher = null, Groups = [139],
        };
        // A look sees it after its setsid; long after, USR2 made a copy (150) in its session, and QUIT ended it.
        run = Look(spec, run, new Table(P(140, Tend, 140, 140, "pyd", "/p", start: 200)), T0 + 500, out _);
        Assert.Equal(140, run.Main!.Sid);
        var table = new Table(P(150, Tend, 140, 140, "pyd", "/p", start: 9000));
        var exit = Identity.OnExit(spec, run with { StartupUntil = T0 + 3000 }, 140, ExitStatus.Exited(0), table, T0 + 60_000, Tend,
            TendGroup);
        Assert.Equal(ExitVerdictKind.HandOver, exit.Kind);
        Assert.Equal(150, exit.Run.Main!.Pid);
    }

    [Fact]
    public void A_later_session_that_got_the_id_of_a_dead_start_up_group_is_not_that_group()
    {
        // While starting up, the server's helper led group 56 (start 120); it ended. Long after, a login the server started
        // got pid 56 and leads a group 56 of its own: it carries the run's mark, but it is not the group recorded.
        var spec = Spec("/usr/local/bin/srv");
        var run = Spawned(50);
        run = Look(spec, run, new Table(P(50, Tend, 50, 50, "srv", "/srv"), P(56, 50, 56, 56, "sleep", "/bin/sleep", start: 120)), T0 + 100,
            out _);
        Assert.Contains(56, run.Groups);
        var later = new Table(P(50, Tend, 50, 50, "srv", "/srv"), P(56, 50, 56, 56, "srv", "/srv", start: 9000));
        Assert.False(Identity.IsRunsGroup(run, 56, later));
        Assert.DoesNotContain(SignalTarget.Group(56), Identity.Reach(spec, run with { StartupUntil = T0 + 1000 }, Libc.SIGTERM, later,
            T0 + 60_000).Targets);
    }

    /// <summary>
    /// notifier.py --mainpid (NotifyProcessTests): the launcher (14) forks 15, which says MAINPID=15; the launcher waits on
    /// it. Killed, 15 is reaped by the launcher, which exits a moment later: on a loaded machine Tend's look saw 15 gone
    /// while 14 still ran, and went back to following the launcher, so the run's end was reported as pid 14's. A declared
    /// main process holds until it exits, whatever the looks find and whichever of the two ends is seen first.
    /// </summary>
    [Fact]
    public void A_main_process_declared_with_MAINPID_holds_until_it_exits_whatever_the_launcher_does()
    {
        var spec = Spec("python3 notifier.py --mainpid");
        var launcher = P(14, Tend, 14, 14, "python3", "/usr/bin/python3.11", start: 100);
        var child = P(15, 14, 14, 14, "python3", "/usr/bin/python3.11", start: 105);
        var run = Look(spec, Spawned(14), new Table(launcher, child), T0 + 20, out _);
        run = Identity.OnMainPid(run, child.Item1, Tend, T0 + 30) ?? throw new InvalidOperationException("MAINPID refused");
        Assert.Equal(15, run.Main!.Pid);
        Assert.True(run.Main.Declared);

        // A daemon of its lineage re-parented to Tend appears while it starts up: a lineage guess never displaces it.
        var daemon = P(16, Tend, 16, 16, "python3", "/usr/bin/python3.11", start: 110);
        var looked = Look(spec, run, new Table(launcher, child, daemon), T0 + 100, out var look);
        Assert.Null(look.Why);
        Assert.Equal(15, looked.Main!.Pid);

        // Killed: the launcher reaped it and still runs. The look finds it gone; its end is the run's, not a hand-back.
        var reaped = new Table(launcher);
        Look(spec, run, reaped, T0 + 200, out look);
        Assert.True(look.MainVanished);
        var end = Identity.OnExit(spec, run, 15, ExitStatus.Vanished, reaped, T0 + 200, Tend, TendGroup);
        Assert.Equal(ExitVerdictKind.Ended, end.Kind);
        Assert.Equal(15, end.Run.Main!.Pid);
        Assert.Contains("its launcher (pid 14) still runs", end.Why);

        // The other order: the launcher's end first (any status), while 15 runs on, re-parented to Tend: 15 stays the main
        // process, and its own end later ends the run.
        var orphan = new Table(P(15, Tend, 14, 14, "python3", "/usr/bin/python3.11", start: 105));
        foreach (var status in new[] { ExitStatus.Exited(0), ExitStatus.Exited(3) })
        {
            var done = Identity.OnExit(spec, run, 14, status, orphan, T0 + 200, Tend, TendGroup);
            Assert.Equal(ExitVerdictKind.LauncherDone, done.Kind);
            Assert.Equal(15, done.Run.Main!.Pid);
            Assert.Null(done.Run.Launcher);
            var last = Identity.OnExit(spec, done.Run, 15, ExitStatus.Killed(Libc.SIGKILL), new Table(), T0 + 300, Tend, TendGroup);
            Assert.Equal(ExitVerdictKind.Ended, last.Kind);
        }

        // Without MAINPID= (the same process found by lineage), the launcher that still runs has the last word again.
        var guessed = run with { Main = run.Main with { Declared = false } };
        Assert.Equal(ExitVerdictKind.BackToLauncher, Identity.OnExit(spec, guessed, 15, ExitStatus.Vanished, reaped, T0 + 200, Tend,
            TendGroup).Kind);
    }
}
