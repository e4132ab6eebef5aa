namespace Tend.Posix;

/// <summary>
/// A container restart is a boot: what the previous boot left under <c>/run</c> that would mislead the next one — pid
/// files, lock files, cron's @reboot markers — is removed before anything starts, as a boot clears <c>/run</c>
/// (FHS 3.0 §3.15, Debian Policy §9.1.4) and Docker does not. Regular files only, never through a link, never at or
/// under a mount point. The rule and the reasons for each kind: docs/lineage.md, "A container restart is a boot".
/// </summary>
internal static class BootState
{
    /// <summary>The directories cleared: /run, and /var/run when it is not the same directory.</summary>
    public static readonly string[] Roots = ["/run", "/var/run"];

    /// <summary>Where the mounts of Tend's own mount namespace are listed (proc(5)).</summary>
    public const string MountInfo = "/proc/self/mountinfo";

    private static readonly EnumerationOptions Listing = new()
    {
        RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false,
    };

    /// <summary>Clears the previous boot's state under <see cref="Roots"/>; for Tend as PID 1, before anything starts.</summary>
    public static BootCleanup ClearPreviousBoot() => ClearPreviousBoot(Roots, MountInfo);

    /// <summary>
    /// Removes the previous boot's pid files, lock files and @reboot markers under <paramref name="roots"/> (see the
    /// remarks of <see cref="BootState"/>). Never throws for what it finds: every file it could not read or remove is
    /// one sentence in <see cref="BootCleanup.Problems"/>.
    /// </summary>
    /// <param name="roots">Absolute directory paths, without a trailing slash; one that does not exist is skipped.</param>
    /// <param name="mountInfo">A file in the format of /proc/self/mountinfo (proc(5)), listing the mounts.</param>
    public static BootCleanup ClearPreviousBoot(IReadOnlyList<string> roots, string mountInfo)
    {
        var removed = new List<string>();
        var problems = new List<string>();
        HashSet<string> mountPoints;
        try { mountPoints = MountPoints(File.ReadAllText(mountInfo)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"kept the previous boot's files in {string.Join(" and ", roots)}: could not " +
                $"read {mountInfo} ({Logging.PlainMessage.Of(e)}), " +
                "so what is mounted there is unknown");
            return new BootCleanup(removed, problems);
        }
        foreach (var root in roots)
        {
            if (!Libc.Identify(root, out var id, out var errno))
            {
                if (errno != Libc.ENOENT) problems.Add($"could not look at {root}: {Libc.ErrorText(errno)}");
                continue;
            }
            // A link is not followed: Debian's /var/run → /run is cleared once, as /run. A root that is a mount point is
            // a tmpfs (fresh at every start) or someone else's (a host's /run mounted in, a volume).
            if (id.Type != Libc.S_IFDIR || mountPoints.Contains(root)) continue;
            Clear(root, id, mountPoints, removed, problems);
        }
        return new BootCleanup(removed, problems);
    }

    /// <summary>
    /// Why a regular file named <paramref name="name"/> is the previous boot's, or null when it is kept.
    /// <paramref name="inLockDirectory"/>: it lies under the root's <c>lock</c> directory (/run/lock).
    /// </summary>
    internal static string? Kind(string name, bool inLockDirectory) =>
        name.EndsWith(".pid", StringComparison.Ordinal) || name == "pid" ? "pid file"
        : name.EndsWith(".lock", StringComparison.Ordinal) || inLockDirectory ? "lock file"
        : name.EndsWith(".reboot", StringComparison.Ordinal) ? "@reboot marker"
        : null;

    /// <summary>
    /// Walks <paramref name="root"/> without following links or leaving its mount, and removes what <see cref="Kind"/> names.
    /// </summary>
    private static void Clear(string root, Libc.FileIdentity rootId, HashSet<string> mountPoints, List<string> removed,
        List<string> problems)
    {
        var lockDirectory = root + "/lock/";
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var directory))
        {
            List<string> entries;
            // A name that is not UTF-8 comes back altered and is then not found below: kept, as anything unknown is.
            try { entries = Directory.EnumerateFileSystemEntries(directory, "*", Listing).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"could not read {directory}: {Logging.PlainMessage.Of(e)}");
                continue;
            }
            foreach (var path in entries)
            {
                if (mountPoints.Contains(path)) continue;
                if (!Libc.Identify(path, out var id, out var errno))
                {
                    if (errno != Libc.ENOENT) problems.Add($"could not look at {path}: {Libc.ErrorText(errno)}");
                    continue;
                }
                // Another mount (a bind mount keeps the device, so the mount id decides where the kernel gives one: statx
                // STATX_MNT_ID, Linux 5.8), else another filesystem: not the boot's. An overlay whose layers sit on other
                // filesystems reports its files' devices from the layers, though they are in /run's own mount.
                var otherMount = id.MountId != 0 && rootId.MountId != 0 ? id.MountId != rootId.MountId : id.Device != rootId.Device;
                if (otherMount) continue;
                if (id.Type == Libc.S_IFDIR)
                {
                    pending.Push(path);
                    continue;
                }
                if (id.Type != Libc.S_IFREG) continue;
                if (Kind(Path.GetFileName(path), path.StartsWith(lockDirectory, StringComparison.Ordinal)) is not { } kind) continue;
                if (Libc.unlink(path) == 0)
                {
                    removed.Add(path);
                    continue;
                }
                var error = Libc.LastError;
                if (error == Libc.ENOENT) continue;
                if (error == Libc.EROFS)
                {
                    // Nothing under this root can be removed, and nothing of the previous boot was written there either.
                    problems.Add($"kept {path} and any other {kind}s of the image in {root}: {Libc.ErrorText(error)}");
                    return;
                }
                problems.Add($"could not remove {path}, a {kind} of the previous boot: {Libc.ErrorText(error)}");
            }
        }
    }

    /// <summary>The mount points listed in <paramref name="mountInfo"/> (the fifth field of each line, octal escapes undone).</summary>
    internal static HashSet<string> MountPoints(string mountInfo)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4) result.Add(Unescape(fields[4]));
        }
        return result;
    }

    /// <summary>
    /// The kernel writes space, tab, newline and backslash in a mount point as \040, \011, \012 and \134 (proc(5)).
    /// </summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
