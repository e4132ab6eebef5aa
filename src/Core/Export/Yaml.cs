using System.Globalization;
using System.Text;

namespace Tend.Export;

/// <summary>A YAML value to write: a scalar, a mapping or a sequence, each with comments written above it.</summary>
internal abstract class YamlNode
{
    /// <summary>Comment lines written above this node (above its key, in a mapping).</summary>
    public List<string> Comments { get; } = [];

    /// <summary>Adds a comment line above this node.</summary>
    public YamlNode Comment(string line)
    {
        Comments.Add(line);
        return this;
    }
}

/// <summary>A string, number or boolean. Strings are quoted whenever they would read back as anything but that string.</summary>
internal sealed class YamlScalar(string text, bool isString) : YamlNode
{
    public string Text { get; } = text;

    public bool IsString { get; } = isString;

    public static implicit operator YamlScalar(string text) => new(text, true);

    public static YamlScalar Of(long number) => new(number.ToString(CultureInfo.InvariantCulture), false);

    public static YamlScalar Of(bool value) => new(value ? "true" : "false", false);
}

/// <summary>A block mapping, keys in the order added.</summary>
internal sealed class YamlMap : YamlNode
{
    public List<(string Key, YamlNode Value)> Entries { get; } = [];

    public YamlMap Add(string key, YamlNode value)
    {
        Entries.Add((key, value));
        return this;
    }

    public YamlMap Add(string key, string value) => Add(key, (YamlScalar)value);

    public YamlMap Add(string key, long number) => Add(key, YamlScalar.Of(number));

    public YamlMap Add(string key, bool value) => Add(key, YamlScalar.Of(value));
}

/// <summary>A sequence: block style, or flow style (<c>[a, b]</c>) for short lists of words such as a command line.</summary>
internal sealed class YamlSeq(bool flow = false) : YamlNode
{
    public List<YamlNode> Items { get; } = [];

    public bool Flow { get; } = flow;

    public YamlSeq Add(YamlNode item)
    {
        Items.Add(item);
        return this;
    }

    public static YamlSeq Words(IEnumerable<string> words)
    {
        var seq = new YamlSeq(flow: true);
        foreach (var w in words) seq.Add((YamlScalar)w);
        return seq;
    }
}

/// <summary>
/// Writes block YAML (flow style only for short lists of words), quoting every string that a YAML 1.1 or 1.2 reader
/// (PyYAML in docker-compose, Go's in Kubernetes) could read as anything else. Our own few lines rather than
/// YamlDotNet's emitter: that one builds a Regex in its static constructor (for tag URIs, which this never writes),
/// and the regex engine alone would grow Tend's NativeAOT binary by ~480 KB (17 %) — the supervisor would pay for the
/// export. The tests read every exported file back with YamlDotNet and with KubernetesClient's models.
/// </summary>
internal static class YamlText
{
    /// <summary>The documents, each after a <c>---</c> line when there are several; <paramref name="header"/> lines as comments on
    /// top.</summary>
    public static string Write(IReadOnlyList<YamlNode> documents, IEnumerable<string> header)
    {
        var sb = new StringBuilder();
        foreach (var line in header) Comment(sb, 0, line);
        foreach (var doc in documents)
        {
            if (documents.Count > 1) sb.Append("---\n");
            switch (doc)
            {
                case YamlMap m: Map(sb, m, 0); break;
                case YamlSeq q: Seq(sb, q, 0); break;
                case YamlScalar s: sb.Append(Scalar(s)).Append('\n'); break;
            }
        }
        return sb.ToString();
    }

    private static void Map(StringBuilder sb, YamlMap map, int indent)
    {
        foreach (var (key, value) in map.Entries) Entry(sb, key, value, indent, indent);
    }

    /// <summary>One <c>key: value</c>; <paramref name="first"/> is the column of the key's own line (after a sequence's <c>-
    /// </c>).</summary>
    private static void Entry(StringBuilder sb, string key, YamlNode value, int indent, int first)
    {
        if (first == indent) foreach (var line in value.Comments) Comment(sb, indent, line);
        sb.Append(' ', first == indent ? indent : 0).Append(Scalar(key)).Append(':');
        switch (value)
        {
            case YamlScalar s:
                sb.Append(' ').Append(Scalar(s)).Append('\n');
                break;
            case YamlSeq { Flow: true } or YamlSeq { Items.Count: 0 }:
                sb.Append(' ').Append(Flow((YamlSeq)value)).Append('\n');
                break;
            case YamlSeq q:
                sb.Append('\n');
                Seq(sb, q, indent + 2);
                break;
            case YamlMap { Entries.Count: 0 }:
                sb.Append(" {}\n");
                break;
            case YamlMap m:
                sb.Append('\n');
                Map(sb, m, indent + 2);
                break;
        }
    }

    private static void Seq(StringBuilder sb, YamlSeq seq, int indent)
    {
        foreach (var item in seq.Items)
        {
            foreach (var line in item.Comments) Comment(sb, indent, line);
            sb.Append(' ', indent).Append("- ");
            switch (item)
            {
                case YamlScalar s:
                    sb.Append(Scalar(s)).Append('\n');
                    break;
                case YamlSeq q:
                    sb.Append(Flow(q)).Append('\n');
                    break;
                case YamlMap { Entries.Count: 0 }:
                    sb.Append("{}\n");
                    break;
                case YamlMap m:
                    // The first entry shares the "- " line; its comments go above that line.
                    for (var i = 0; i < m.Entries.Count; i++)
                    {
                        if (i == 0)
                        {
                            var (key, value) = m.Entries[0];
                            if (value.Comments.Count > 0)
                                throw new InvalidOperationException("a comment on the first entry of a sequence item: put it on the item");
                            Entry(sb, key, value, indent + 2, 0);
                        }
                        else Entry(sb, m.Entries[i].Key, m.Entries[i].Value, indent + 2, indent + 2);
                    }
                    break;
            }
        }
    }

    private static string Flow(YamlSeq seq)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < seq.Items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(seq.Items[i] is YamlScalar s ? Scalar(s) : throw new InvalidOperationException("a flow sequence holds scalars only"));
        }
        return sb.Append(']').ToString();
    }

    private static void Comment(StringBuilder sb, int indent, string line) => sb.Append(' ', indent).Append("# ").Append(line).Append('\n');

    private static string Scalar(YamlScalar s) => !s.IsString ? s.Text : Scalar(s.Text);

    private static string Scalar(string text)
    {
        if (IsPlain(text)) return text;
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Plain only when it is a word of letters, digits and <c>_ . / @ = + -</c> (no colon, space, comma, bracket, quote
    /// or <c>#</c>, which some reader somewhere takes for syntax) that reads back as the same string.
    /// </summary>
    internal static bool IsPlain(string text) =>
        ReadsAsString(text) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '@' or '=' or '+' or '-')
            && text[0] is not ('@' or '=');
    /// <summary>
    /// Whether a plain scalar would read back as this string under YAML 1.1 and 1.2 alike (Kubernetes reads 1.1-style
    /// booleans such as <c>on</c>, Compose 1.2's): not empty, no number, boolean, null, date or sexagesimal look-alike.
    /// </summary>
    internal static bool ReadsAsString(string text)
    {
        if (text.Length == 0 || text != text.Trim()) return false;
        switch (text.ToLowerInvariant())
        {
            case "~" or "null" or "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or ".inf" or "-.inf" or "+.inf" or
                ".nan" or "<<" or "=":
                return false;
        }
        var first = text[0];
        if (char.IsAsciiDigit(first) || first is '+' or '-' or '.')
        {
            // Anything that starts like a number and holds only number-ish characters could be read as one
            // (1e3, 0x1f, 0o17, 1_000, 12:30, 2026-01-01): quote it.
            foreach (var c in text)
                if (!(char.IsAsciiDigit(c)
                    || c is '+' or '-' or '.' or '_' or ':' or 'e' or 'E' or 'x' or 'X' or 'o' or 'b' or 'T' or 't' or 'Z' or 'z' or ' '
                    || char.IsAsciiHexDigit(c)))
                    return true;
            return false;
        }
        return true;
    }
}
