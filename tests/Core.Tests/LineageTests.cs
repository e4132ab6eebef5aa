using Tend.Posix;
using Tend.Supervision;

namespace Tend.Tests;

/// <summary>The lineage rules on a fake process table: which processes are a run's, and which is its main one.</summary>
[Trait("Category", "Unit")]
public class LineageTests
{
    private const int Tend = 1;
    private const ulong Mark = RunMarks.Base | 7;

    private static ProcStat P(int pid, int ppid, int pgid, int sid, string comm, ulong start = 100, ulong mark = Mark, char state = 'S') =>
        new(pid, comm, state, ppid, pgid, start, sid, mark);

    private static string Choose(IReadOnlyList<ProcStat> candidates, string matchName, int launcherSid) =>
        Lineage.ChooseMain(candidates, c => c.Comm == matchName, launcherSid, Tend).Comm;

    [Fact]
    public void Members_are_the_live_processes_with_the_runs_mark()
    {
        var table = new[]
        {
            P(10, Tend, 10, 10, "sh"),
            P(11, 10, 10, 10, "sleep", state: 'Z'),
            P(12, Tend, 12, 12, "mydbd"),
            P(13, Tend, 13, 13, "other", mark: RunMarks.Base | 8),
            P(14, Tend, 14, 14, "unmarked", mark: 0),
        };
        Assert.Equal([10, 12], Lineage.Marked(table, Mark).Select(m => m.Pid));
        Assert.Equal([12], Lineage.Marked(table, Mark, except: 10).Select(m => m.Pid));
        Assert.Empty(Lineage.Marked(table, 0));
    }

    [Fact]
    public void Apache_detached_from_its_lingering_script_is_the_main_process_not_a_worker_nor_the_script()
    {
        // service apache2 start: the script (session 20) waits in a sleep loop; apache2 detached (session 30) with workers.
        var members = new[]
        {
            P(20, Tend, 20, 20, "apache2", start: 100),   // the init script's basename is the match name here
            P(21, 20, 20, 20, "sleep", start: 150),
            P(30, Tend, 30, 30, "apache2", start: 120),
            P(31, 30, 30, 30, "apache2", start: 125),
            P(32, 30, 30, 30, "apache2", start: 125),
        };
        var detached = Lineage.Detached(members, launcherSid: 20);
        Assert.Equal([30, 31, 32], detached.Select(d => d.Pid));
        Assert.Equal(30, Lineage.ChooseMain(detached, c => c.Comm == "apache2", 20, Tend).Pid);
    }

    [Fact]
    public void Mysqld_safe_is_chosen_over_the_mariadbd_it_watches_when_the_name_says_nothing()
    {
        // service mariadb start: the script exited; mysqld_safe (re-parented to Tend) runs mariadbd and logger.
        var members = new[]
        {
            P(40, Tend, 15, 15, "mysqld_safe", start: 100),
            P(41, 40, 15, 15, "mariadbd", start: 110),
            P(42, 40, 15, 15, "logger", start: 110),
        };
        Assert.Equal("mysqld_safe", Choose(members, "service", 15));
        // A declared match name wins over the shape of the tree.
        Assert.Equal("mariadbd", Choose(members, "mariadbd", 15));
    }

    [Fact]
    public void A_daemon_re_parented_to_tend_is_preferred_over_a_helper_its_launcher_still_waits_for()
    {
        // service postgresql start: pg_ctl (child of pg_ctlcluster, in a session of its own) and postgres, re-parented.
        var detached = new[]
        {
            P(50, 45, 50, 50, "pg_ctl", start: 100),
            P(52, Tend, 52, 52, "postgres", start: 105),
            P(53, 52, 53, 53, "postgres", start: 110),
        };
        Assert.Equal(52, Lineage.ChooseMain(detached, _ => false, 16, Tend).Pid);
    }

    [Fact]
    public void Among_equals_the_oldest_is_the_main_process()
    {
        var members = new[] { P(61, Tend, 61, 61, "b", start: 200), P(60, Tend, 60, 60, "a", start: 100) };
        Assert.Equal(60, Lineage.ChooseMain(members, _ => false, 5, Tend).Pid);
    }

    [Fact]
    public void After_start_up_a_session_started_later_is_not_the_services()
    {
        // sshd (group and session 70) was seen while starting up; a login (session 80) came later.
        var members = new[] { P(70, Tend, 70, 70, "sshd"), P(80, 70, 80, 80, "sshd"), P(81, 80, 81, 80, "bash") };
        Assert.Equal([70], Lineage.InGroups(members, [70]).Select(m => m.Pid));
        // A worker that moved to a group of its own inside a recorded session still is the service's.
        Assert.Equal([70, 81], Lineage.InGroups(members, [70, 80]).Where(m => m.Pid != 80).Select(m => m.Pid));
    }

    [Fact]
    public void Start_up_lasts_a_second_at_least_two_quiet_seconds_after_the_last_new_process_and_ninety_at_most()
    {
        Assert.Equal(1_000 + Lineage.StartupMinMs, Lineage.StartupUntil(1_000, 0));
        Assert.Equal(1_010 + Lineage.StartupQuietMs, Lineage.StartupUntil(1_000, 1_000 + 10));
        Assert.Equal(1_000 + 5_000 + Lineage.StartupQuietMs, Lineage.StartupUntil(1_000, 6_000));
        Assert.Equal(1_000 + Lineage.StartupMaxMs, Lineage.StartupUntil(1_000, 1_000 + Lineage.StartupMaxMs));
    }

    [Fact]
    public void Looks_come_soon_after_a_spawn_then_less_often()
    {
        Assert.Equal(1_000 + Lineage.FirstLookMs, Lineage.NextLook(1_000, 1_000));
        Assert.Equal(1_100 + 100, Lineage.NextLook(1_000, 1_100));
        Assert.Equal(3_000 + Lineage.LookIntervalMaxMs, Lineage.NextLook(1_000, 3_000));
    }

    [Fact]
    public void The_mark_is_read_from_the_realtime_timeout_line_of_proc_limits()
    {
        var text = """
            Limit                     Soft Limit           Hard Limit           Units     
            Max cpu time              unlimited            unlimited            seconds   
            Max realtime priority     0                    0                    
            Max realtime timeout      4611686018427387905  unlimited            us        

            """u8;
        Assert.Equal(4611686018427387905UL, ProcFs.ParseMark(text));
        Assert.Equal(0UL, ProcFs.ParseMark("Max realtime timeout      unlimited            unlimited            us\n"u8));
        Assert.Equal(0UL, ProcFs.ParseMark("nothing here"u8));
    }

    [Fact]
    public void Marks_of_one_tend_share_a_prefix_and_are_recognised_as_its_own()
    {
        Assert.True(RunMarks.Available, "RLIMIT_RTTIME's hard limit is not unlimited on this machine");
        var a = RunMarks.Next();
        var b = RunMarks.Next();
        Assert.NotEqual(a, b);
        Assert.True(RunMarks.IsOurs(a) && RunMarks.IsOurs(b));
        Assert.False(RunMarks.IsOurs(0));
        Assert.False(RunMarks.IsOurs(a ^ 1UL << 40));
        Assert.True(a >= RunMarks.Base);
    }
}
