using System.Text;

namespace Tend.Arguments;

/// <summary>POSIX-shell word splitting without expansion: what <c>sh</c> would pass as argv, minus the shell.</summary>
internal static class ShellWords
{
    /// <summary>Splits <paramref name="line"/> into words.</summary>
    /// <exception cref="FormatException">Blank input, an unbalanced quote or a trailing backslash.</exception>
    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                    break;
                case '\'':
                    {
                        var end = line.IndexOf('\'', i + 1);
                        if (end < 0) throw new FormatException($"unbalanced single quote at position {i + 1} in: {line}");
                        word.Append(line, i + 1, end - i - 1);
                        inWord = true;
                        i = end;
                        break;
                    }
                case '"':
                    {
                        var start = i;
                        inWord = true;
                        for (i++; ; i++)
                        {
                            if (i >= line.Length) throw new FormatException($"unbalanced double quote at position {start + 1} in: {line}");
                            var d = line[i];
                            if (d == '"') break;
                            if (d == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`' or '\n')
                            {
                                i++;
                                if (line[i] != '\n') word.Append(line[i]);
                                continue;
                            }
                            word.Append(d);
                        }
                        break;
                    }
                case '\\':
                    if (i + 1 >= line.Length) throw new FormatException($"trailing backslash in: {line}");
                    i++;
                    if (line[i] == '\n') break; // line continuation
                    word.Append(line[i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        if (words.Count == 0) throw new FormatException("the command line is empty");
        if (words[0].Length == 0) throw new FormatException($"the program name is empty in: {line}");
        return words;
    }

    /// <summary>Quotes a word so that <see cref="Split"/> gives it back unchanged.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c))) return word;
        return "'" + word.Replace("'", "'\\''") + "'";
    }
}
