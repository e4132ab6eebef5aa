using System.Globalization;

namespace Tend.Posix;

/// <summary>A user to run a service as, resolved from /etc/passwd and /etc/group.</summary>
internal sealed record UserIdentity(int Uid, int Gid, string? Name)
{
    /// <summary>
    /// Resolves <c>name</c>, <c>uid</c>, <c>name:group</c> or <c>uid:gid</c>. A name's primary group is used
    /// when no group is given.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown user or group.</exception>
    public static UserIdentity Resolve(string spec, string passwd = "/etc/passwd", string group = "/etc/group")
    {
        var parts = spec.Split(':', 2);
        var users = ReadTable(passwd);
        string? name = null;
        int uid, gid;
        if (int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            var entry = users.FirstOrDefault(u => u.Length > 3 && u[2] == parts[0]);
            name = entry?[0];
            gid = entry is not null ? int.Parse(entry[3], CultureInfo.InvariantCulture) : uid;
        }
        else
        {
            var entry = users.FirstOrDefault(u => u.Length > 3 && u[0] == parts[0])
                ?? throw new ArgumentException($"user '{parts[0]}' does not exist in {passwd}: create it in the image (useradd) or give " +
                    $"a numeric uid");
            name = entry[0];
            uid = int.Parse(entry[2], CultureInfo.InvariantCulture);
            gid = int.Parse(entry[3], CultureInfo.InvariantCulture);
        }
        if (parts.Length == 2)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                var g = ReadTable(group).FirstOrDefault(x => x.Length > 2 && x[0] == parts[1])
                    ?? throw new ArgumentException($"group '{parts[1]}' does not exist in {group}: create it (groupadd) or give a " +
                        $"numeric gid");
                gid = int.Parse(g[2], CultureInfo.InvariantCulture);
            }
        }
        return new UserIdentity(uid, gid, name);
    }

    private static List<string[]> ReadTable(string path) =>
        File.Exists(path) ? File.ReadLines(path).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(':')).ToList() : [];
}
