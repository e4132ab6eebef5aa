using System.Globalization;
using System.Runtime.InteropServices;

namespace Tend.Posix;

/// <summary>
/// Gives back the pages of Tend's own executable that startup touched and steady supervision does not use.
/// The kernel maps file pages 64 KiB around each fault, so after startup nearly the whole binary (≈1.9 MiB of
/// 2.7 MiB) is resident and counted in Tend's PSS, although an idle supervisor runs a small part of it.
/// MADV_DONTNEED on a read-only private file mapping only drops page-table entries: the page cache keeps the
/// pages and a later use faults them back in (a minor fault, no I/O). Mappings holding copied-on-write pages
/// (relocated data) are never touched.
/// </summary>
internal static unsafe partial class WorkingSet
{
    private const int MADV_DONTNEED = 4;

    [LibraryImport(Libc.Lib, SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);

    /// <summary>
    /// The clean, read-only mappings of the executable (start, length in bytes), read from /proc/self/smaps; empty when
    /// it cannot be read. Reading allocates: a caller that collects garbage reads them first, collects, then
    /// <see cref="Drop"/>s them, so neither the garbage nor the collector's own code pages stay resident.
    /// </summary>
    public static List<(long Start, long Length)> ExecutableRanges()
    {
        var ranges = new List<(long, long)>();
        string exe;
        string[] lines;
        try
        {
            exe = File.ResolveLinkTarget("/proc/self/exe", returnFinalTarget: true)?.FullName ?? "";
            lines = File.ReadAllLines("/proc/self/smaps");
        }
        catch (IOException) { return ranges; }
        catch (UnauthorizedAccessException) { return ranges; }
        if (exe.Length == 0) return ranges;

        for (var i = 0; i < lines.Length; i++)
        {
            var header = lines[i];
            var dash = header.IndexOf('-');
            if (dash <= 0 || !header.EndsWith(exe, StringComparison.Ordinal)) continue;
            var parts = header.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || parts[5] != exe || parts[1].Length != 4 || parts[1][1] != '-' || parts[1][3] != 'p') continue;
            // Its fields follow up to the next header; only a mapping without copied-on-write pages is safe to drop.
            var anonymous = -1L;
            for (var j = i + 1; j < lines.Length && !IsHeader(lines[j]); j++)
                if (lines[j].StartsWith("Anonymous:", StringComparison.Ordinal))
                    anonymous = long.Parse(lines[j].AsSpan(10).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            if (anonymous != 0) continue;
            var range = parts[0].Split('-');
            var start = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ranges.Add((start, end - start));
        }
        return ranges;
    }

    /// <summary>Drops the page-table entries of <paramref name="ranges"/> (MADV_DONTNEED); returns the bytes advised.</summary>
    public static long Drop(List<(long Start, long Length)> ranges)
    {
        long advised = 0;
        // Advice only: a mapping the kernel refuses to drop (EINVAL for a locked one, EAGAIN) stays resident, which costs
        // memory, never correctness; it is not counted.
        foreach (var (start, length) in ranges)
            if (madvise((nint)start, (nuint)length, MADV_DONTNEED) == 0) advised += length;
        return advised;
    }

    private static bool IsHeader(string line)
    {
        var dash = line.IndexOf('-');
        return dash > 0 && dash < 17 && Uri.IsHexDigit(line[0]) && line.IndexOf(' ') > dash;
    }
}
