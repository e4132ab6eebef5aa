using Tend;

namespace MyTendApp;

// Two example services: replace them with yours. Each is a partial class with [Service] and a Command; its
// [Option] properties become flags (`--heartbeat-interval 10s`) and variables (TEND_HEARTBEAT_INTERVAL), and the
// doc comments become `--help`. Install the programs they run in the Dockerfile's marked place.

/// <summary>Prints a greeting once, before the heartbeat starts (a one-shot task).</summary>
[Service("greeter", OneShot = true)]
public partial class Greeter
{
    /// <summary>Whom to greet.</summary>
    [Option] public string Name { get; init; } = "world";

    public Command Command => new("/bin/echo", $"hello, {Name}");
}

/// <summary>Prints a line at every interval, to show a long-running service.</summary>
/// <remarks>Critical: if it fails for good the container exits non-zero, and while it is not running the image's
/// HEALTHCHECK (`tend health`) reports unhealthy.</remarks>
[Service("heartbeat", DependsOn = [typeof(Greeter)], StopTimeout = "2s", Critical = true)]
public partial class Heartbeat
{
    /// <summary>Time between two lines.</summary>
    [Option] public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(HEARTBEAT_SECONDS);

    public Command Command => new("/bin/sh", "-c", $"while :; do echo alive; sleep {Math.Max(1, (int)Interval.TotalSeconds)}; done");
}
