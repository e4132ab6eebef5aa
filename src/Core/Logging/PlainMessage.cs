using Tend.Posix;

namespace Tend.Logging;

/// <summary>
/// An exception's message as a line Tend may print: plain English, never a runtime resource key. A published Tend is
/// built with <c>UseSystemResourceKeys</c> (the runtime's message strings left out: smaller, less memory in PID 1),
/// so a runtime exception's message is its key and arguments, e.g. <c>UnauthorizedAccess_IODenied_Path, /run/tend</c>.
/// Tend's own messages pass unchanged; a key is replaced by what the exception's type and errno say.
/// </summary>
internal static class PlainMessage
{
    /// <summary>
    /// Whether <paramref name="text"/> holds a runtime resource key (<c>Word_Word</c> with lower case, as the runtime's SR names are).
    /// </summary>
    /// <remarks>A scan by hand: the regex engine would add ~480 KB to PID 1's binary (see README, Performance).</remarks>
    public static bool HasResourceKey(string text) => Keys(text).Any();

    /// <summary>
    /// The words of <paramref name="text"/> shaped like resource keys: a capital letter, letters and digits, and at least one '_' between
    /// two of them.
    /// </summary>
    private static IEnumerable<(int Start, int Length)> Keys(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWord(text[i])) { i++; continue; }
            var start = i;
            while (i < text.Length && IsWord(text[i])) i++;
            var word = text.AsSpan(start, i - start);
            // An all-capitals word is a variable or constant (TEND_SSHD_PORT, RLIMIT_NOFILE); every key has lower case.
            if (char.IsAsciiLetterUpper(word[0]) && word.Contains('_') && word.ContainsAnyInRange('a', 'z') && word[^1] != '_'
                && !word.Contains("__", StringComparison.Ordinal)
                && (start == 0 || !IsWordJoiner(text[start - 1])))
                yield return (start, i - start);
        }
    }

    private static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>A word right after these is part of a name (a path, an option, a service), not a key.</summary>
    private static bool IsWordJoiner(char c) => c is '/' or '-' or '.' or '$' or '@' or '\'' or '"';

    /// <summary>The message of <paramref name="e"/> in plain words.</summary>
    public static string Of(Exception e)
    {
        var message = e.Message;
        if (!HasResourceKey(message)) return message;
        // "Key, argument, argument": keep the arguments (a path), say the rest from the type.
        var comma = message.IndexOf(", ", StringComparison.Ordinal);
        var detail = comma > 0 ? message[(comma + 2)..] : "";
        if (HasResourceKey(detail)) detail = "";
        var what = e switch
        {
            UnauthorizedAccessException => "permission denied",
            FileNotFoundException => "no such file",
            DirectoryNotFoundException => "no such directory",
            PathTooLongException => "the path is too long",
            IOException io when io.HResult is > 0 and < 4096 => Libc.ErrorText(io.HResult),
            IOException => "input/output error",
            OutOfMemoryException => "out of memory",
            FormatException => "not in the expected format",
            ArgumentException => "an invalid argument",
            InvalidOperationException => "an operation that is not valid in this state",
            _ => e.GetType().Name,
        };
        return detail.Length > 0 ? $"{what} ({detail})" : what;
    }

    /// <summary>What Tend says when <paramref name="count"/> of its own lines were dropped (a sink that did not read).</summary>
    internal static string DroppedLines(long count) =>
        $"{count} of Tend's own line{(count == 1 ? " was" : "s were")} dropped: the log sink did not read them in time";
}
