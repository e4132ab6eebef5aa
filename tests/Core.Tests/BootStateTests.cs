using System.Net.Sockets;
using Tend.Posix;

namespace Tend.Tests;

/// <summary>
/// What a boot clears under /run (<see cref="BootState"/>), on a tree in a temporary directory: which files go, which
/// stay, links never followed, listed mount points never touched, nothing removed when the mounts are unknown.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BootStateTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("tend-boot-").FullName;

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    private string P(string relative) => Path.Combine(_tree, relative);

    private string File_(string relative, string content = "7\n")
    {
        var path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A mountinfo that lists "/" and the given mount points (escaped as the kernel escapes them).</summary>
    private string MountInfo(params string[] mountPoints)
    {
        var lines = new List<string> { "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw" };
        var id = 30;
        foreach (var m in mountPoints)
        {
            var escaped = m.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011");
            lines.Add($"{id++} 22 0:{id} / {escaped} rw,nosuid - tmpfs tmpfs rw");
        }
        return File_("mountinfo", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public void Removes_the_previous_boots_pid_files_lock_files_and_reboot_markers_and_nothing_else()
    {
        string[] stale =
        [
            File_("run/sshd.pid"), File_("run/apache2/apache2.pid"), File_("run/dbus/pid"), File_("run/crond.reboot"),
            File_("run/mysqld/mysqld.sock.lock"), File_("run/lock/LCK..ttyS0", "      4242\n"), File_("run/lock/subsys/cron", ""),
            File_("run/a/b/c/deep.pid"), File_("run/.pid"),
        ];
        string[] kept =
        [
            File_("run/utmp", ""), File_("run/adduser", ""), File_("run/app.conf"), File_("run/pidfile.txt"), File_("run/x.pid/inner"),
            File_("run/apache2/apache2.pid.conf"), File_("outside/target.pid"), File_("outside/inside.pid"), File_("run/pids"),
        ];
        Directory.CreateDirectory(P("run/sshd"));
        Directory.CreateDirectory(P("run/empty.pid"));
        File.CreateSymbolicLink(P("run/link.pid"), P("outside/target.pid"));
        Directory.CreateSymbolicLink(P("run/linkdir"), P("outside"));
        Directory.CreateDirectory(P("run/tend"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(P("run/tend/control.pid")));

        var result = BootState.ClearPreviousBoot([P("run")], BootState.MountInfo);

        Assert.Empty(result.Problems);
        Assert.Equal(stale.Order(), result.Removed.Order());
        Assert.All(stale, f => Assert.False(File.Exists(f), f));
        Assert.All(kept, f => Assert.True(File.Exists(f), f));
        // Directories, links (and what they name) and sockets stay, whatever their names.
        Assert.True(Directory.Exists(P("run/sshd")) && Directory.Exists(P("run/empty.pid")) && Directory.Exists(P("run/lock/subsys")));
        Assert.Equal(P("outside/target.pid"), new FileInfo(P("run/link.pid")).LinkTarget);
        Assert.NotNull(new DirectoryInfo(P("run/linkdir")).LinkTarget);
        Assert.Equal(Libc.S_IFSOCK, Libc.FileType(P("run/tend/control.pid")));
    }

    [Fact]
    public void A_var_run_that_links_to_run_is_cleared_once_and_one_of_its_own_is_cleared_too()
    {
        var pid = File_("run/sshd.pid");
        Directory.CreateDirectory(P("var"));
        Directory.CreateSymbolicLink(P("var/run"), "../run");
        var linked = BootState.ClearPreviousBoot([P("run"), P("var/run")], BootState.MountInfo);
        Assert.Equal([pid], linked.Removed);
        Assert.Empty(linked.Problems);

        // An older image's /var/run, a directory of its own: cleared as well; a root that is missing is skipped.
        Directory.Delete(P("var/run"));
        var own = File_("var/run/crond.pid");
        var again = File_("run/apache2/apache2.pid");
        var separate = BootState.ClearPreviousBoot([P("run"), P("var/run"), P("nothing/here")], BootState.MountInfo);
        Assert.Equal(new[] { again, own }.Order(), separate.Removed.Order());
        Assert.Empty(separate.Problems);
    }

    [Fact]
    public void Nothing_at_or_under_a_listed_mount_point_is_touched()
    {
        var secret = File_("run/secrets/app.pid");
        var spaced = File_("run/with space/x.pid");
        var bound = File_("run/bound.pid");
        var plain = File_("run/plain.pid");
        var result = BootState.ClearPreviousBoot([P("run")], MountInfo(P("run/secrets"), P("run/with space"), P("run/bound.pid")));
        Assert.Equal([plain], result.Removed);
        Assert.Empty(result.Problems);
        Assert.True(File.Exists(secret) && File.Exists(spaced) && File.Exists(bound));
    }

    [Fact]
    public void A_root_that_is_itself_a_mount_point_is_left_whole()
    {
        var pid = File_("run/sshd.pid");
        var result = BootState.ClearPreviousBoot([P("run")], MountInfo(P("run")));
        Assert.Empty(result.Removed);
        Assert.Empty(result.Problems);
        Assert.True(File.Exists(pid));
    }

    [Fact]
    public void When_the_mounts_cannot_be_read_nothing_is_removed_and_that_is_said()
    {
        var pid = File_("run/sshd.pid");
        var result = BootState.ClearPreviousBoot([P("run")], P("no-mountinfo"));
        Assert.Empty(result.Removed);
        var problem = Assert.Single(result.Problems);
        Assert.Contains("could not read " + P("no-mountinfo"), problem);
        Assert.Contains("kept the previous boot's files in " + P("run"), problem);
        Assert.True(File.Exists(pid));
    }

    [Fact]
    public void Mount_points_are_read_with_the_kernels_escapes_undone()
    {
        var points = BootState.MountPoints(
            "36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 - ext3 /dev/root rw\n" +
            "37 35 0:5 / /run/back\\134slash rw - tmpfs tmpfs rw\n" +
            "38 35 0:6 / /run/secrets rw - tmpfs tmpfs rw\n");
        Assert.Equal(["/mnt/a b", "/run/back\\slash", "/run/secrets"], points.Order());
    }
}
