namespace Tend.Posix;

/// <summary>
/// Tend's arguments and environment as the kernel gave them, byte for byte. The .NET runtime decodes argv and
/// environ as UTF-8 with U+FFFD for what is not; this reads <c>/proc/self/cmdline</c> and <c>/proc/self/environ</c>
/// (the bytes of the process's initial stack, which Tend never changes) and maps them through <see cref="OsText"/>.
/// </summary>
internal static class ProcessInput
{
    /// <summary>
    /// <paramref name="args"/> with each argument the runtime altered replaced by its exact form (invalid bytes
    /// escaped). <paramref name="args"/> may be the runtime's argv or what a binder left of it, in the same order:
    /// each is matched, in order, with the first raw argument after the previous match that the runtime decodes to
    /// it. An argument that matches none (made up by the program, not from argv) is kept as it is.
    /// </summary>
    public static string[] Exact(IReadOnlyList<string> args)
    {
        var result = args.ToArray();
        if (!result.Any(a => a.Contains('\uFFFD'))) return result;
        var raw = ReadZeroSeparated("/proc/self/cmdline");
        // Main's arguments are the last entries of the command line (after the program, or after `dotnet x.dll`):
        // taken by position, checked against what the runtime decoded. The runtime and Lossy may not replace an
        // invalid sequence with the same number of U+FFFD (an encoded surrogate), so runs of them compare as one.
        var offset = raw.Count - result.Length;
        for (var i = 0; i < result.Length; i++)
        {
            if (offset + i >= 0 && Same(OsText.Lossy(raw[offset + i]), result[i])) result[i] = OsText.Decode(raw[offset + i]);
        }
        return result;
    }

    /// <summary>
    /// The environment as <c>NAME=VALUE</c> byte strings: the kernel's bytes for every variable the runtime's view
    /// still has with the value it decoded them to; otherwise (a variable Tend's own code changed) the runtime's.
    /// </summary>
    public static List<(string Name, byte[] Entry)> Environment()
    {
        var raw = new Dictionary<string, (string Lossy, byte[] Entry)>(StringComparer.Ordinal);
        foreach (var entry in ReadZeroSeparated("/proc/self/environ"))
        {
            var eq = Array.IndexOf(entry, (byte)'=');
            if (eq <= 0) continue;
            raw.TryAdd(OsText.Lossy(entry.AsSpan(0, eq)), (OsText.Lossy(entry.AsSpan(eq + 1)), entry));
        }
        var result = new List<(string, byte[])>();
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            var value = (string?)e.Value ?? "";
            result.Add(raw.TryGetValue(name, out var r) && Same(r.Lossy, value) ? (name, r.Entry) : (name,
                OsText.Encode(name + "=" + value)));
        }
        return result;
    }

    /// <summary>Equal once every run of U+FFFD counts as one (decoders differ in how many an invalid sequence gives).</summary>
    private static bool Same(string a, string b) => a == b || Collapse(a) == Collapse(b);

    private static string Collapse(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        foreach (var c in s)
            if (c != '\uFFFD' || sb.Length == 0 || sb[^1] != '\uFFFD') sb.Append(c);
        return sb.ToString();
    }

    private static List<byte[]> ReadZeroSeparated(string path)
    {
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
        var list = new List<byte[]>();
        var span = all.AsSpan();
        while (span.Length > 0)
        {
            var nul = span.IndexOf((byte)0);
            var item = nul < 0 ? span : span[..nul];
            list.Add(item.ToArray());
            span = nul < 0 ? default : span[(nul + 1)..];
        }
        return list;
    }

}
