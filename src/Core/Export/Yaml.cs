using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

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
/// Writes documents through YamlDotNet's low-level <see cref="Emitter"/>: events in, text out, no reflection (the
/// object serializer is not trimming- or NativeAOT-safe, and would cost the supervisor's binary far more).
/// </summary>
internal static class YamlText
{
    /// <summary>The documents, each after a <c>---</c> line when there are several; <paramref name="header"/> lines as comments on top.</summary>
    public static string Write(IReadOnlyList<YamlNode> documents, IEnumerable<string> header)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024,
            skipAnchorName: false, indentSequences: true, newLine: "\n", useUtf16SurrogatePairs: false));
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var doc in documents)
        {
            if (first) foreach (var line in header) emitter.Emit(new Comment(line, false));
            emitter.Emit(new DocumentStart(null, null, isImplicit: documents.Count == 1));
            Node(emitter, doc);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            first = false;
        }
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Node(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalar s:
                emitter.Emit(Scalar(s));
                break;
            case YamlMap m:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                foreach (var (key, value) in m.Entries)
                {
                    foreach (var line in value.Comments) emitter.Emit(new Comment(line, false));
                    emitter.Emit(Scalar(key));
                    Node(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case YamlSeq q:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, q.Flow ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in q.Items)
                {
                    if (!q.Flow) foreach (var line in item.Comments) emitter.Emit(new Comment(line, false));
                    Node(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
        }
    }

    private static Scalar Scalar(YamlScalar s) =>
        !s.IsString ? new Scalar(AnchorName.Empty, TagName.Empty, s.Text, ScalarStyle.Plain, true, false)
        : ReadsAsString(s.Text) ? new Scalar(AnchorName.Empty, TagName.Empty, s.Text, ScalarStyle.Any, true, true)
        : new Scalar(AnchorName.Empty, TagName.Empty, s.Text, ScalarStyle.DoubleQuoted, false, true);

    /// <summary>
    /// Whether a plain scalar would read back as this string under YAML 1.1 and 1.2 alike (Kubernetes reads 1.1-style
    /// booleans such as <c>on</c>, Compose 1.2's): not empty, no number, boolean, null, date or sexagesimal look-alike.
    /// </summary>
    internal static bool ReadsAsString(string text)
    {
        if (text.Length == 0 || text != text.Trim()) return false;
        switch (text.ToLowerInvariant())
        {
            case "~" or "null" or "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or ".inf" or "-.inf" or "+.inf" or ".nan" or "<<" or "=":
                return false;
        }
        var first = text[0];
        if (char.IsAsciiDigit(first) || first is '+' or '-' or '.')
        {
            // Anything that starts like a number and holds only number-ish characters could be read as one
            // (1e3, 0x1f, 0o17, 1_000, 12:30, 2026-01-01): quote it.
            foreach (var c in text)
                if (!(char.IsAsciiDigit(c) || c is '+' or '-' or '.' or '_' or ':' or 'e' or 'E' or 'x' or 'X' or 'o' or 'b' or 'T' or 't' or 'Z' or 'z' or ' ' || char.IsAsciiHexDigit(c)))
                    return true;
            return false;
        }
        return true;
    }
}
