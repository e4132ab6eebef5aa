using System.Globalization;
using Tend.Posix;

namespace Tend.Control;

/// <summary>
/// Where the control socket goes when no path is given, for Tend and for its client alike, so that both find the same
/// one without being told. Root: <see cref="ControlServer.DefaultPath"/>. Another user (an image's <c>USER 1000</c>,
/// Kubernetes <c>runAsNonRoot</c>) cannot create /run/tend on a stock image, so it takes the first place it can make:
/// <c>$XDG_RUNTIME_DIR/tend</c>, then <c>/run/tend</c> (an image or a <c>--tmpfs /run</c> may let it), then
/// <c>/tmp/tend-UID</c>, then <c>/dev/shm/tend-UID</c> (a read-only root filesystem) — a directory of its own, mode
/// 0700, refused when another user made it first.
/// </summary>
internal static class ControlSocketPaths
{
    /// <summary>The socket's file name inside each candidate directory.</summary>
    public const string FileName = ControlSocketDefaults.FileName;

    /// <summary>The candidate socket paths for a Tend running as <paramref name="uid"/>, in the order Tend tries them.</summary>
    public static IReadOnlyList<string> For(uint uid)
    {
        if (uid == 0) return [ControlServer.DefaultPath];
        var list = new List<string>();
        if (uid == Libc.geteuid() && Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
            list.Add(Path.Combine(runtime, "tend", FileName));
        list.Add(ControlServer.DefaultPath);
        list.Add(Path.Combine("/tmp", "tend-" + uid.ToString(CultureInfo.InvariantCulture), FileName));
        // A read-only root filesystem (docker run --read-only --tmpfs /run: Docker's tmpfs is root's, 0755) leaves /dev/shm,
        // which Docker and Kubernetes mount writable for every user (mode 1777).
        list.Add(Path.Combine("/dev/shm", "tend-" + uid.ToString(CultureInfo.InvariantCulture), FileName));
        return list;
    }

    /// <summary>
    /// Where a client finds a running Tend: the first existing socket among this user's candidates, then among those of
    /// the user PID 1 runs as (root exec'ing into a container whose Tend runs as uid 1000); else the first candidate,
    /// for the message that says nothing is there.
    /// </summary>
    public static string Find()
    {
        var mine = For(Libc.geteuid());
        var all = mine.Concat(Pid1Uid() is { } uid && uid != Libc.geteuid() ? For(uid) : []).Distinct().ToList();
        return all.FirstOrDefault(p => Libc.FileType(p) == Libc.S_IFSOCK) ?? mine[0];
    }

    /// <summary>The real uid of PID 1 (from /proc/1/status, readable by every user), or null.</summary>
    public static uint? Pid1Uid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/1/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var real = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                    return uint.TryParse(real, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : null;
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>
    /// Makes the directory of <paramref name="socket"/> (mode 0700) when missing. Returns null when it is there and fit
    /// for the socket, else why not, in plain words (errno's text, never a runtime resource key). A directory under
    /// /tmp must be this user's own and closed to others: someone else may have made it first to catch the socket.
    /// </summary>
    public static string? PrepareDirectory(string socket)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(socket));
        if (dir is null) return null;
        if (Libc.Owner(dir) is null)
        {
            // The parents of a given path are made as `mkdir -p` would; each made 0700 (umask permitting).
            var parent = Path.GetDirectoryName(dir);
            if (parent is not null && Libc.Owner(parent) is null && PrepareDirectory(Path.Combine(parent, FileName)) is { } up) return up;
            if (Libc.mkdir(dir, 0x1C0) != 0 && Libc.LastError != Libc.EEXIST)
                return $"cannot create the directory {dir}: {Libc.ErrorText(Libc.LastError)}";
        }
        if (Libc.Owner(dir) is not var (mode, owner)) return $"cannot look at the directory {dir}: {Libc.ErrorText(Libc.LastError)}";
        if ((mode & Libc.S_IFMT) != Libc.S_IFDIR) return $"{dir} is not a directory";
        var shared = dir.StartsWith("/tmp/", StringComparison.Ordinal) || dir.StartsWith("/dev/shm/", StringComparison.Ordinal);
        if (shared && (owner != Libc.geteuid() || (mode & 0x3F) != 0))
            return $"the directory {dir} belongs to uid {owner} or is open to others (mode {Convert.ToString(mode & 0x1FF, 8)}): " +
                "Tend will not put its socket there; remove it";
        return null;
    }
}
