using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp;

namespace Tend.Generators;

/// <summary>Service and option names: what is valid, and the kebab case of a property's name.</summary>
internal static class Names
{
    // Words of lower-case letters and digits joined by single '-': no leading, trailing or doubled '-', so
    // "--web-" + option never reads as two flags glued together (web- or web--x would make --web--port).
    private static readonly Regex Valid = new("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant);

    /// <summary>A name as C# source must write it: a keyword as a verbatim identifier (<c>@event</c>).</summary>
    public static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    public static bool IsValid(string name) => name.Length <= 63 && Valid.IsMatch(name);

    /// <summary><c>MaxConnections</c> → <c>max-connections</c>, <c>SSHPort</c> → <c>ssh-port</c>.</summary>
    public static string Kebab(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length
                && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString().Replace('_', '-');
    }
}
