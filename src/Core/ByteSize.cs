using System;
using System.Globalization;

namespace Tend;

/// <summary>Sizes as users write them: <c>65536</c>, <c>64k</c>, <c>64KiB</c>, <c>100KB</c>, <c>1M</c>, <c>1G</c>, <c>0</c> (binary
/// units: k = 1024 bytes, G = 1024 MiB), at most <see cref="Max"/>.</summary>
internal static class ByteSize
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Expected = "a size in bytes of at most 1GiB, such as 65536, 64k, 64KiB, 1M or 1G (0: none)";

    /// <summary>The largest size accepted (1 GiB): a log buffer is memory of PID 1.</summary>
    public const long Max = 1L << 30;

    /// <summary>Parses a size in bytes (<c>1G</c>, <c>1GiB</c> and <c>1024M</c> are <see cref="Max"/> itself); false when the text is
    /// not one, or it exceeds <see cref="Max"/>.</summary>
    public static bool TryParse(string? text, out int bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text!.Trim();
        var i = 0;
        while (i < s.Length && char.IsDigit(s[i])) i++;
#pragma warning disable CA1846 // compiled into the netstandard2.0 generator too, which has no span overloads
        if (i == 0 || !long.TryParse(s.Substring(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return false;
#pragma warning restore CA1846
        long scale;
        switch (s.Substring(i).ToLowerInvariant())
        {
            case "" or "b": scale = 1; break;
            case "k" or "kb" or "kib": scale = 1L << 10; break;
            case "m" or "mb" or "mib": scale = 1L << 20; break;
            case "g" or "gb" or "gib": scale = 1L << 30; break;
            default: return false;
        }
        if (number > Max / scale) return false;
        bytes = (int)(number * scale);
        return true;
    }

    /// <summary>A size as <see cref="TryParse"/> reads it back: <c>64KiB</c>, <c>1MiB</c>, <c>1GiB</c>, <c>1000</c>.</summary>
    public static string Format(long bytes) =>
        bytes != 0 && bytes % (1L << 30) == 0 ? (bytes >> 30).ToString(CultureInfo.InvariantCulture) + "GiB"
        : bytes != 0 && bytes % (1L << 20) == 0 ? (bytes >> 20).ToString(CultureInfo.InvariantCulture) + "MiB"
        : bytes != 0 && bytes % 1024 == 0 ? (bytes >> 10).ToString(CultureInfo.InvariantCulture) + "KiB"
        : bytes.ToString(CultureInfo.InvariantCulture);
}
