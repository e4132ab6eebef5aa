using Microsoft.CodeAnalysis;

namespace Tend.Generators;

internal static class DiagnosticDescriptors
{
    private const string Category = "Tend";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = Error("TEND001", "A service class must be partial",
        "Service class '{0}' must be partial: add the 'partial' modifier so Tend can generate its other half");

    public static readonly DiagnosticDescriptor GenericOrNested = Error("TEND002", "A service class must not be generic or " +
        "nested in a non-partial type",
        "Service class '{0}' {1}");

    public static readonly DiagnosticDescriptor DuplicateName = Error("TEND003", "Two services have the same name",
        "Service name '{0}' is used by both '{1}' and '{2}': give each service a unique name");

    public static readonly DiagnosticDescriptor InvalidName = Error("TEND004", "A service name is not valid",
        "Service name '{0}' is not valid: use lower-case letters and digits in words joined by single '-', starting with a " +
            "letter (at most 63 characters), e.g. \"web\" or \"worker-2\"");

    public static readonly DiagnosticDescriptor BadCommand = Error("TEND005", "A service class has no usable Command property",
        "Service class '{0}' {1}: add 'public Command Command => new(\"/path/to/program\", \"arg\");'");

    public static readonly DiagnosticDescriptor UnknownDependency = Error("TEND006", "A dependency is not a service",
        "'{0}' depends on '{1}', which has no [Service] attribute: add [Service(\"…\")] to it or remove it from DependsOn");

    public static readonly DiagnosticDescriptor Cycle = Error("TEND007", "Services depend on each other in a cycle",
        "Services depend on each other in a cycle: {0}; remove one of these dependencies");

    public static readonly DiagnosticDescriptor UnsupportedOptionType = Error("TEND008", "An option's type is not supported",
        "Option '{0}' has type '{1}', which Tend cannot bind: use string, bool, int, long, double, TimeSpan, an enum, a " +
            "nullable of these, or string[]");

    public static readonly DiagnosticDescriptor OptionClash = Error("TEND009", "Two options bind to the same flag or environment variable",
        "Option '{0}' binds to '{1}', as '{2}' does already: rename one with [Option(\"other-name\")]");

    public static readonly DiagnosticDescriptor InvalidSetting = Error("TEND010", "A duration, timeout, backoff or limit is not valid",
        "{0} '{1}' is not valid: {2}");

    public static readonly DiagnosticDescriptor NotAClass = Error("TEND011", "[Service] is on something that is not a class",
        "[Service] is on {0} '{1}': services are classes; declare it as 'public partial class {1}'");


    public static readonly DiagnosticDescriptor OptionNotSettable = Error("TEND012", "An option property cannot be set",
        "Option '{0}' has no setter: declare it '{{ get; init; }}' (or set) so the binder can give it the value from the command line");

    public static readonly DiagnosticDescriptor BadReady = Error("TEND013", "A service's Ready member is not a readiness check",
        "Service '{0}' {1}: declare 'public Tend.Readiness Ready => Tend.Readiness.Tcp(8080);' (or Http, File, Run), or remove the member");

    public static readonly DiagnosticDescriptor ServiceOnTwoParts = Error("TEND014", "[Service] is on more than one part of " +
        "a partial class",
        "Service class '{0}' has [Service] on more than one of its partial declarations: keep it on one");

    public static readonly DiagnosticDescriptor InvalidOptionName = Error("TEND015", "An option name is not valid",
        "Option name '{0}' of '{1}' is not valid: use lower-case letters and digits in words joined by single '-', starting " +
            "with a letter, e.g. \"port\" or \"max-connections\"; rename it with [Option(\"name\")]");

    public static readonly DiagnosticDescriptor CannotCreate = Error("TEND016", "Tend cannot create the service class",
        "Service class '{0}' {1}");

    public static readonly DiagnosticDescriptor OptionNotAccessible = Error("TEND017", "An option is not public",
        "Option '{0}' {1}: declare it 'public … {{ get; init; }}' so the generated binder can set it and --help can show its default");

    public static readonly DiagnosticDescriptor RequiredNotOption = Error("TEND018", "A required member is not an option",
        "'{0}' is required but is not an [Option]: Tend creates the service itself and cannot set it; add [Option] or remove 'required'");

    public static DiagnosticDescriptor[] All => new[]
    {
        NotPartial, GenericOrNested, DuplicateName, InvalidName, BadCommand, UnknownDependency, Cycle, UnsupportedOptionType, OptionClash,
        InvalidSetting, NotAClass, OptionNotSettable, BadReady, ServiceOnTwoParts, InvalidOptionName, CannotCreate, OptionNotAccessible,
            RequiredNotOption, BadSchedule, BadAlive,
        GeneratedMemberClash, ScheduleConflict, EmptyEnum, StdinTwice, StopBudget, ReadinessForDependents, BadLogLinePattern,
        BadHttpEndpoint,
    };

    public static readonly DiagnosticDescriptor GeneratedMemberClash = Error("TEND021", "A member has the name of one the generator writes",
        "Service class '{0}' declares '{1}', a member the generator writes into every service class: rename it");

    public static readonly DiagnosticDescriptor ScheduleConflict = Error("TEND022", "A scheduled task is also one-shot, a " +
        "daemon or checked for readiness",
        "The {0}");

    public static readonly DiagnosticDescriptor EmptyEnum = Error("TEND023", "An option's enum has no members",
        "Option '{0}' has type '{1}', an enum without members: no value could be given; add members, or use another type");

    public static readonly DiagnosticDescriptor StdinTwice = Error("TEND024", "Two services read the container's stdin",
        "The {0}");

    public static readonly DiagnosticDescriptor StopBudget = new("TEND025", "The stop timeouts may not fit in the platform's stop budget",
        "Stopping may take up to {0} ({1}), more than the {2} {3} gives before it kills the container: shorten a " +
            "StopTimeout, or give the platform more time",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ReadinessForDependents = new("TEND026", "A service others depend on has no readiness check",
        "Service '{0}' is a dependency of {1} but has no readiness check: they start as soon as it runs, before it may " +
            "accept anything; declare 'public Tend.Readiness Ready => …' (or OneShot, Daemonizes)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadAlive = Error("TEND020", "A service's Alive member is not a liveness check",
        "Service '{0}' {1}: declare 'public Tend.Liveness Alive => Tend.Liveness.Http(8080, \"/healthz\");' (or Tcp, File, " +
            "Run), or remove the member");

    public static readonly DiagnosticDescriptor BadLogLinePattern = Error("TEND027", "A log-line readiness pattern is not a " +
        "regular expression Tend can match",
        "Readiness.LogLine pattern '{0}' is not a regular expression Tend can match: {1}; write a .NET regular expression " +
            "that needs no backtracking (no backreferences, lookarounds, atomic groups or conditionals)");

    public static readonly DiagnosticDescriptor BadHttpEndpoint = Error("TEND028", "The declared HTTP endpoint's address is not valid",
        "[assembly: HttpEndpoint] {0}");

    public static readonly DiagnosticDescriptor BadSchedule = Error("TEND019", "A schedule is not a cron expression",
        "Schedule '{0}' is not a cron expression: {1}; expected {2}");
}
