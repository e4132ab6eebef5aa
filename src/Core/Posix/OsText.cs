using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Tend.Posix;

/// <summary>
/// Bytes from the kernel (arguments, environment) as .NET strings and back, without loss. Valid UTF-8 becomes the
/// same text; each byte that is not part of valid UTF-8 becomes the lone surrogate U+DC80…U+DCFF (the byte plus
/// U+DC00), the mapping Python calls <c>surrogateescape</c> (PEP 383). Encoding turns such a surrogate back into its
/// byte, so <c>Encode(Decode(b)) == b</c> for any bytes. No valid UTF-8 decodes to a lone surrogate, so nothing that
/// was text is ever taken for an escaped byte.
/// </summary>
/// <remarks>
/// Why not bytes all the way: command lines are split into words, options parsed and names compared as strings,
/// and a declared service's command is built from strings. Escaping keeps all of that unchanged (quotes, spaces
/// and backslashes are ASCII, and ASCII is always valid), while the .NET default — U+FFFD for invalid bytes —
/// would turn <c>caf\xe9</c> into <c>caf\xef\xbf\xbd</c> on its way to the service.
/// </remarks>
internal static class OsText
{
    private const char EscapeBase = '\uDC00';

    /// <summary>The bytes as a string, invalid bytes escaped.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length + 1);
        try
        {
            var written = 0;
            while (bytes.Length > 0)
            {
                var status = Utf8.ToUtf16(bytes, chars.AsSpan(written), out var read, out var n, replaceInvalidSequences: false);
                written += n;
                bytes = bytes[read..];
                if (status == OperationStatus.Done) break;
                // Invalid (or truncated) UTF-8 at bytes[0]: escape that one byte and go on after it.
                chars[written++] = (char)(EscapeBase + bytes[0]);
                bytes = bytes[1..];
            }
            return new string(chars, 0, written);
        }
        finally { ArrayPool<char>.Shared.Return(chars); }
    }

    /// <summary>The string as bytes (no terminating NUL): text as UTF-8, escaped bytes as themselves.</summary>
    public static byte[] Encode(string text)
    {
        if (!HasEscapes(text)) return Encoding.UTF8.GetBytes(text);
        var output = new List<byte>(text.Length + 8);
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsEscape(text, i)) continue;
            output.AddRange(Encoding.UTF8.GetBytes(text, start, i - start));
            output.Add((byte)(text[i] - EscapeBase));
            start = i + 1;
        }
        output.AddRange(Encoding.UTF8.GetBytes(text, start, text.Length - start));
        return [.. output];
    }

    /// <summary>What .NET itself makes of these bytes (U+FFFD for what is not UTF-8): how the runtime decoded argv.</summary>
    public static string Lossy(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static bool HasEscapes(string text)
    {
        for (var i = 0; i < text.Length; i++) if (IsEscape(text, i)) return true;
        return false;
    }

    /// <summary>A low surrogate U+DC80…U+DCFF that does not complete a pair: an escaped byte.</summary>
    private static bool IsEscape(string text, int i) =>
        text[i] is >= '\uDC80' and <= '\uDCFF' && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
}
