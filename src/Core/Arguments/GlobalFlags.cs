namespace Tend.Arguments;

/// <summary>
/// Tend's own flags. Shared as source with the generator, which refuses a declared option that would bind to
/// one of them (TEND009); HostOptions.Options gives each its value and help.
/// </summary>
internal static class GlobalFlags
{
    public static readonly string[] Names =
    {
        "--log-prefix", "--log-format", "--scan-interval", "--stop-timeout", "--cleanup-timeout", "--restart",
        "--kill-mode", "--critical", "--stdin", "--adopt", "--no-adopt", "--ready", "--ready-interval", "--ready-timeout", "--alive", "--alive-interval", "--alive-timeout", "--alive-failures", "--schedule", "--control-socket", "--no-control", "--orchestrated", "--drain-delay", "--only", "--without", "--help", "--version",
    };
}
