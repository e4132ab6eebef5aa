using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tend.Tests.Export;

/// <summary>Runs a sample's real binary as <c>IMAGE export …</c> and gives its exit code, stdout and stderr.</summary>
internal static partial class Exported
{
    public static string WebWorker => Path.Combine(TendRun.RepoRoot, "samples/WebWorker/bin", Configuration, "net10.0/WebWorker");

    public static string ApacheSsh => TendRun.ApacheSshBinary;

    private static string Configuration => AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";

    public static (int Code, string Out, string Err) Run(string binary, string[] args, IReadOnlyDictionary<string,
        string>? environment = null)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host's own TEND_* variables must not leak into the export.
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("TEND_",
            StringComparison.Ordinal)).ToList()) psi.Environment.Remove(k);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill();
            throw new TimeoutException($"{binary} {string.Join(' ', args)} did not return"); }
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>The export's YAML; asserts exit code 0.</summary>
    public static string Yaml(string binary, params string[] args)
    {
        var (code, output, err) = Run(binary, args);
        Assert.True(code == 0, $"export exited {code}: {err}");
        return output;
    }

    /// <summary>
    /// Compares <paramref name="text"/> with <c>Export/Snapshots/NAME.verified.yaml</c>; on a difference writes
    /// <c>NAME.received.yaml</c> beside it and fails. <c>SNAPSHOT_ACCEPT=1</c> accepts (never when <c>CI</c> is set).
    /// </summary>
    public static void Verify(string name, string text)
    {
        text = Version().Replace(text, "(Tend VERSION)");
        var dir = Path.Combine(TendRun.RepoRoot, "tests/Core.Tests/Export/Snapshots");
        var verified = Path.Combine(dir, name + ".verified.yaml");
        var received = Path.Combine(dir, name + ".received.yaml");
        var accept = Environment.GetEnvironmentVariable("SNAPSHOT_ACCEPT") == "1"
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        if (File.Exists(verified) && File.ReadAllText(verified) == text)
        {
            File.Delete(received);
            return;
        }
        if (accept)
        {
            File.WriteAllText(verified, text);
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, text);
        Assert.Fail($"the export differs from {verified}: see {received} (diff them; SNAPSHOT_ACCEPT=1 accepts)");
    }

    [GeneratedRegex(@"\(Tend [0-9][^)]*\)")]
    private static partial Regex Version();
}
