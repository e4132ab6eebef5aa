using System;

namespace Tend;

/// <summary>
/// Rules on a service's settings that hold whether the service is declared or given on the command line: the source
/// generator shares this file (as it shares <see cref="Duration"/> and the cron syntax), so a declaration that breaks
/// one is a TEND diagnostic at compile time, and a command line that breaks one is refused when Tend starts, with the
/// same words.
/// </summary>
internal static class DeclarationRules
{
    /// <summary>
    /// Why a scheduled task cannot also be what the other settings say, or null: each run of a task ends, so it is
    /// neither one-shot (run once before its dependents), nor a daemon, nor checked for readiness.
    /// </summary>
    public static string? ScheduleConflict(bool oneShot, bool daemonizes, bool ready) =>
        oneShot ? "one-shot" : daemonizes ? "a daemon (Daemonizes)" : ready ? "checked for readiness (Ready, --ready)" : null;

    /// <summary>The message for <see cref="ScheduleConflict"/>.</summary>
    public static string ScheduleConflictMessage(string service, string conflict) =>
        $"service '{service}' has a schedule, so each run is a task that ends: it cannot also be {conflict}; remove one of the two";

    /// <summary>The message for two services that both ask for the container's stdin.</summary>
    public static string StdinTwiceMessage(string first, string second) =>
        $"services {first} and {second} both ask for the container's stdin, which only one can read: keep Stdin = true (or --stdin) on one";

    /// <summary>What a user setting may be, for messages.</summary>
    public const string UserExpected = "a user name or uid, optionally followed by ':' and a group name or gid " +
        "(\"www-data\", \"1000\", \"1000:1000\")";

    /// <summary>
    /// Why <paramref name="user"/> cannot name a user, or null. Only the form is checked here: whether the user
    /// exists is known in the image, when Tend starts.
    /// </summary>
    public static string? UserProblem(string user)
    {
        var parts = user.Split(':');
        if (parts.Length > 2) return "it has more than one ':'";
        if (parts[0].Length == 0) return user.Length == 0 ? "it is empty (leave User out to run as Tend's own user)"
            : "the user before ':' is empty";
        if (parts.Length == 2 && parts[1].Length == 0) return "the group after ':' is empty (leave out the ':')";
        foreach (var part in parts)
            foreach (var c in part)
                if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '/')
                    return $"'{part}' holds a character no user or group name can " +
                        $"('{(char.IsControl(c)
                            ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)
                            : c.ToString())}')";
        return null;
    }
}
