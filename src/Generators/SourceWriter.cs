using System;
using System.Text;

namespace Tend.Generators;

/// <summary>An indenting text writer for generated C#.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing closes it, followed by <paramref name="afterClose"/> (such
    /// as <c>);</c> after a lambda).</summary>
    public IDisposable Block(string header, string afterClose = "")
    {
        Line(header);
        Line("{");
        _indent++;
        return new Closer(this, "}" + afterClose);
    }

    public override string ToString() => _sb.ToString();

    private sealed class Closer(SourceWriter w, string close) : IDisposable
    {
        public void Dispose()
        {
            w._indent--;
            w.Line(close);
        }
    }

    /// <summary>A C# string literal.</summary>
    public static string Literal(string? s)
    {
        if (s is null) return "null";
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
