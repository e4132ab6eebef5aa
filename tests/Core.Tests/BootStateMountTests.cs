using System.Diagnostics;
using Tend.Posix;

namespace Tend.Tests;

/// <summary>
/// The boot cleanup (<see cref="BootState"/>) beside real mounts and files it cannot remove (needs root). The mounts
/// live in a private mount namespace held by a sleeping process; the cleanup reaches that namespace's view of the
/// tree through /proc/PID/root, with a mountinfo that lists none of them, so what keeps them safe is the second
/// check alone: device and mount id (the mount-point list has its unit test in <see cref="BootStateTests"/>).
/// </summary>
public sealed class BootStateMountTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("tend-boot-mounts-").FullName;
    private Process? _holder;

    public void Dispose()
    {
        if (_holder is { } h)
        {
            _ = Libc.kill(h.Id, Libc.SIGKILL);
            h.WaitForExit(10_000);
            h.Dispose();
        }
        // An immutable file cannot be deleted, even by root: undo it first (a no-op where none was set).
        foreach (var f in Directory.EnumerateFiles(_tree, "*", SearchOption.AllDirectories))
            Shell("chattr", "-i", f);
        Directory.Delete(_tree, recursive: true);
    }

    private string P(string relative) => Path.Combine(_tree, relative);

    private string File_(string relative, string content = "1\n")
    {
        var path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static (int Code, string Output) Shell(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(10_000))
        {
            _ = Libc.kill(p.Id, Libc.SIGKILL);
            p.WaitForExit();
        }
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>Runs <paramref name="setup"/> (sh) in a private mount namespace and keeps it alive; returns the holder's pid.</summary>
    private int HoldNamespace(string setup)
    {
        var script = setup + "\necho ready\nexec sleep infinity";
        var psi = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", "-euc", script])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        _holder = Process.Start(psi)!;
        var line = _holder.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(10)) && line.Result == "ready",
            $"the namespace setup failed: {(_holder.WaitForExit(1000) ? _holder.StandardError.ReadToEnd() : "no answer within 10 s")}");
        return _holder.Id;
    }

    [Fact]
    public void A_tmpfs_and_bind_mounts_inside_run_are_left_alone_even_when_mountinfo_does_not_list_them()
    {
        var hostPid = File_("host.pid");
        var volumePid = File_("hostdir/v.pid");
        File_("run/bound.pid", "placeholder\n");
        Directory.CreateDirectory(P("run/secrets"));
        Directory.CreateDirectory(P("run/vol"));
        var plain = File_("run/plain.pid");
        var deep = File_("run/sub/deep.pid");
        var holder = HoldNamespace($"""
            mount -t tmpfs tmpfs '{P("run/secrets")}'
            echo 1 > '{P("run/secrets/app.pid")}'
            mount --bind '{hostPid}' '{P("run/bound.pid")}'
            mount --bind '{P("hostdir")}' '{P("run/vol")}'
            """);
        var view = $"/proc/{holder}/root";
        Assert.True(Libc.Identify(view + P("run"), out var root, out _) && root.MountId != 0,
            "the kernel does not report mount ids (statx STATX_MNT_ID, Linux 5.8): a bind mount of the same filesystem " +
            "cannot be told here");
        var noMounts = File_("mountinfo-without-these", "22 1 254:0 / / rw - ext4 /dev/vda rw\n");

        var result = BootState.ClearPreviousBoot([view + P("run")], noMounts);

        Assert.Empty(result.Problems);
        Assert.Equal(new[] { view + plain, view + deep }.Order(), result.Removed.Order());
        Assert.False(File.Exists(plain) || File.Exists(deep));
        Assert.True(File.Exists(view + P("run/secrets/app.pid")), "the pid file on the tmpfs mounted at run/secrets was removed");
        Assert.Equal("1\n", File.ReadAllText(hostPid));
        Assert.Equal("1\n", File.ReadAllText(view + P("run/bound.pid")));
        Assert.True(File.Exists(volumePid), "the pid file in the directory bind-mounted at run/vol was removed");
    }

    [Fact]
    public void A_read_only_filesystem_is_one_problem_and_removes_nothing()
    {
        var a = File_("ro/run/a.pid");
        var b = File_("ro/run/apache2/b.pid");
        var holder = HoldNamespace($"""
            mount --bind '{P("ro")}' '{P("ro")}'
            mount -o remount,bind,ro '{P("ro")}'
            """);
        var view = $"/proc/{holder}/root";
        var result = BootState.ClearPreviousBoot([view + P("ro/run")], BootState.MountInfo);
        Assert.Empty(result.Removed);
        var problem = Assert.Single(result.Problems);
        Assert.Contains("Read-only file system", problem);
        Assert.True(File.Exists(a) && File.Exists(b));
    }

    [Fact]
    public void A_file_that_cannot_be_removed_is_a_problem_and_the_rest_still_goes()
    {
        var stuck = File_("run/stuck.pid");
        var other = File_("run/other.pid");
        var (code, output) = Shell("chattr", "+i", stuck);
        Assert.True(code == 0, $"chattr +i failed (the test needs a filesystem with the immutable attribute, as ext4): {output}");
        var result = BootState.ClearPreviousBoot([P("run")], BootState.MountInfo);
        Assert.Equal([other], result.Removed);
        var problem = Assert.Single(result.Problems);
        Assert.Equal($"could not remove {stuck}, a pid file of the previous boot: Operation not permitted", problem);
        Assert.True(File.Exists(stuck));
    }

    [Fact]
    public void In_an_overlay_whose_layers_sit_on_other_filesystems_the_previous_boots_files_still_go()
    {
        // An overlay whose upper layer is on a tmpfs and lower layer here: its files report their layers' devices, not the
        // overlay's, although they are in /run's own mount — the mount id says so.
        var old = File_("lower/run/old.pid");
        Directory.CreateDirectory(P("layers"));
        Directory.CreateDirectory(P("merged"));
        var holder = HoldNamespace($"""
            mount -t tmpfs tmpfs '{P("layers")}'
            mkdir '{P("layers/upper")}' '{P("layers/work")}'
            mount -t overlay overlay -o lowerdir='{P("lower")}',upperdir='{P("layers/upper")}',workdir='{P("layers/work")}' '{P("merged")}'
            echo 1 > '{P("merged/run/new.pid")}'
            """);
        var view = $"/proc/{holder}/root";
        var run = view + P("merged/run");
        var noMounts = File_("mountinfo-plain", "22 1 254:0 / / rw - ext4 /dev/vda rw\n");

        var result = BootState.ClearPreviousBoot([run], noMounts);

        Assert.Empty(result.Problems);
        Assert.Equal(new[] { run + "/new.pid", run + "/old.pid" }, result.Removed.Order());
        Assert.False(File.Exists(run + "/old.pid"));
        Assert.True(File.Exists(old), "the lower layer itself is never written");
    }
}
