using System.Globalization;
using Tend.Arguments;

namespace Tend.Export;

/// <summary>
/// One <c>--requests</c> or <c>--limits</c> of <c>tend export kubernetes</c>: <c>[SERVICE:]cpu=250m,memory=128Mi</c>,
/// for one service's container or (without <c>SERVICE:</c>) every container. Quantities are Kubernetes' (a number
/// with an optional suffix: <c>m</c>, <c>k</c>, <c>M</c>, <c>G</c>, <c>Ki</c>, <c>Mi</c>, <c>Gi</c>…; Kubernetes API
/// reference, "Quantity").
/// </summary>
/// <param name="Service">The service it applies to, or null for every one.</param>
/// <param name="Values">Resource name (cpu, memory, ephemeral-storage) to quantity, in the order given.</param>
internal sealed record ResourceSetting(string? Service, IReadOnlyList<KeyValuePair<string, string>> Values)
{
    private static readonly string[] Names = ["cpu", "memory", "ephemeral-storage"];
    private static readonly string[] Suffixes = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    /// <summary>Parses the value of <paramref name="option"/>.</summary>
    /// <exception cref="UsageException">Not of the form <c>[SERVICE:]NAME=QUANTITY,…</c>, or an unknown resource or a bad
    /// quantity.</exception>
    public static ResourceSetting Parse(string option, string text)
    {
        var colon = text.IndexOf(':');
        var service = colon > 0 ? text[..colon] : null;
        var values = new List<KeyValuePair<string, string>>();
        foreach (var part in text[(colon + 1)..].Split(','))
        {
            var eq = part.IndexOf('=');
            var name = eq > 0 ? part[..eq] : "";
            var quantity = eq > 0 ? part[(eq + 1)..] : "";
            if (!Names.Contains(name) || !IsQuantity(quantity))
                throw new UsageException($"option '{option}' got '{text}': expected [SERVICE:]cpu=QUANTITY,memory=QUANTITY " +
                    $"(resources: {string.Join(", ", Names)}; quantities such as 250m, 0.5, 128Mi, 1Gi)");
            values.Add(new(name, quantity));
        }
        return new ResourceSetting(service, values);
    }

    /// <summary>A decimal number, then one of Kubernetes' suffixes.</summary>
    private static bool IsQuantity(string q)
    {
        var digits = 0;
        while (digits < q.Length && (char.IsAsciiDigit(q[digits]) || q[digits] == '.')) digits++;
        var number = q[..digits];
        return number.Length > 0 && number.Count(c => c == '.') <= 1 && number != "." &&
               decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                   out _) && Suffixes.Contains(q[digits..]);
    }
}
