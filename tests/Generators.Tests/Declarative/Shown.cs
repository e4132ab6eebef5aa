namespace Tend.Generators.Tests.Declarative;

/// <summary>
/// How a random service shows its options' values: its Command's arguments, one per option, formatted by a helper
/// compiled into the user's code (<see cref="Source"/>). The property test predicts the same text from the values it
/// gave, so a value the binder read wrong is a mismatch in one argument.
/// </summary>
internal static class Shown
{
    public const string Source = """
        namespace PropertyTest;
        public static class Shown
        {
            private static readonly System.Globalization.CultureInfo C = System.Globalization.CultureInfo.InvariantCulture;
            public static string Of(object? v) => v switch
            {
                null => "<null>",
                string s => "s:" + s,
                bool b => b ? "True" : "False",
                double d => d.ToString("R", C),
                System.TimeSpan t => t.Ticks.ToString(C),
                string[] a => "[" + string.Join("\u241F", a) + "]",
                System.Enum e => e.ToString(),
                System.IFormattable f => f.ToString(null, C),
                _ => v.ToString() ?? "",
            };
        }
        """;

    /// <summary>What <c>default(E)</c> shows: the member valued 0 (the first one, as values are implicit), or 0.</summary>
    public static string EnumDefault(EnumDecl e) => e.Members.Length > 0 ? e.Names[0] : "0";
}
