using System.Runtime.CompilerServices;

namespace Tend.Generators.Tests;

/// <summary>
/// Verify-style snapshots without Verify: <c>Snapshots/{Test}#{HintName}.verified.cs</c> beside this file. On a
/// mismatch a <c>.received.cs</c> is written next to it; <c>SNAPSHOT_ACCEPT=1</c> accepts it, except under CI.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string test, string hintName, string actual, [CallerFilePath] string caller = "")
    {
        var dir = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots");
        var verified = Path.Combine(dir, $"{test}#{hintName}.verified.cs");
        var received = Path.Combine(dir, $"{test}#{hintName}.received.cs");
        actual = actual.Replace("\r\n", "\n");
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        var accept = Environment.GetEnvironmentVariable("SNAPSHOT_ACCEPT") == "1";
        var ci = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        if (accept && !ci)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"no snapshot {verified}; review {received} and accept it with SNAPSHOT_ACCEPT=1"
            : $"{hintName} differs from {verified} at line {FirstDifference(expected, actual)}; see {received} (SNAPSHOT_ACCEPT=1 " +
                $"accepts it{(ci ? ", but not under CI" : "")})");
    }

    private static int FirstDifference(string a, string b)
    {
        var x = a.Split('\n');
        var y = b.Split('\n');
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++) if (x[i] != y[i]) return i + 1;
        return Math.Min(x.Length, y.Length) + 1;
    }
}
