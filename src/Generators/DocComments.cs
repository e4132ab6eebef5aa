using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Tend.Generators;

/// <summary>The &lt;summary&gt; of a declaration's doc comment, as one line of plain text for <c>--help</c>.</summary>
internal static class DocComments
{
    private static readonly Regex SummaryElement = new(@"<summary>(.*?)</summary>",
        RegexOptions.Singleline | RegexOptions.CultureInvariant);
    private static readonly Regex Reference = new(@"<(?:see|seealso|paramref|typeparamref)\s+\w+\s*=\s*""([^""]*)""\s*/>",
        RegexOptions.CultureInvariant);
    private static readonly Regex Tag = new(@"<[^>]+>", RegexOptions.CultureInvariant);
    private static readonly Regex Entity = new(@"&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);", RegexOptions.CultureInvariant);
    private static readonly Regex Space = new(@"\s+", RegexOptions.CultureInvariant);

    /// <summary>
    /// Read from the syntax of each part of the declaration (the first with a summary): without
    /// GenerateDocumentationFile the compiler may keep doc comments as plain comment trivia, so <c>///</c> and
    /// <c>/** */</c> are read as text in either form.
    /// </summary>
    public static string? Summary(ISymbol symbol, CancellationToken ct)
    {
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(ct);
            var text = new StringBuilder();
            foreach (var trivia in syntax.GetLeadingTrivia())
            {
                if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia)
                    || trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia)
                    || (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) && trivia.ToString().StartsWith("///", StringComparison.Ordinal))
                    || (trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) && trivia.ToString().StartsWith("/**", StringComparison.Ordinal)))
                    text.Append(Strip(trivia.ToFullString())).Append('\n');
            }
            if (FromXml(text.ToString()) is { } summary) return summary;
        }
        return null;
    }

    /// <summary>Removes the comment's own marks: <c>///</c>, <c>/**</c>, <c>*/</c> and the <c>*</c> that starts a line of a
    /// block.</summary>
    private static string Strip(string comment)
    {
        var sb = new StringBuilder();
        foreach (var raw in comment.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("///", StringComparison.Ordinal)) line = line.Substring(3);
            else if (line.StartsWith("/**", StringComparison.Ordinal)) line = line.Substring(3);
            else if (line.StartsWith("*", StringComparison.Ordinal) && !line.StartsWith("*/",
                StringComparison.Ordinal)) line = line.Substring(1);
            if (line.EndsWith("*/", StringComparison.Ordinal)) line = line.Substring(0, line.Length - 2);
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static string? FromXml(string xml)
    {
        var match = SummaryElement.Match(xml);
        if (!match.Success) return null;
        var inner = Reference.Replace(match.Groups[1].Value, m => Simple(m.Groups[1].Value));
        inner = Tag.Replace(inner, "");
        inner = Entity.Replace(inner, m => Decode(m.Groups[1].Value));
        var collapsed = Space.Replace(inner, " ").Trim();
        return collapsed.Length == 0 ? null : collapsed;
    }

    /// <summary><c>T:System.String</c> → <c>String</c>; a langword or a name stays as written.</summary>
    private static string Simple(string reference)
    {
        if (reference.Length > 2 && reference[1] == ':') reference = reference.Substring(2);
        var dot = reference.LastIndexOf('.');
        return dot >= 0 && reference.IndexOf('(') < 0 ? reference.Substring(dot + 1) : reference;
    }

    private static string Decode(string entity)
    {
        switch (entity)
        {
            case "lt": return "<";
            case "gt": return ">";
            case "amp": return "&";
            case "quot": return "\"";
            case "apos": return "'";
        }
        var hex = entity.StartsWith("#x", StringComparison.Ordinal);
        var digits = entity.Substring(hex ? 2 : 1);
        // A code point that is no character (too large, a surrogate, NUL) stays as written rather than failing the build.
        return int.TryParse(digits, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out var cp)
            && cp is > 0 and <= 0x10FFFF && cp is < 0xD800 or > 0xDFFF
            ? char.ConvertFromUtf32(cp)
            : "&" + entity + ";";
    }
}
