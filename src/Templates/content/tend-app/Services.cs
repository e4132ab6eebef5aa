using Tend;

namespace MyTendApp;

// Two example services: replace them with yours. Each is a partial class with [Service] and a Command; its
// [Option] properties become flags (`--heartbeat-interval 10s`) and variables (TEND_HEARTBEAT_INTERVAL), and the
// doc comments become `--help`. Install the programs they run in the Dockerfile's marked place. The third,
// ssh-host-keys, is the image's set-up for OpenSSH: keep it if you install openssh-server.

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

/// <summary>Makes this container's own SSH host keys at its first start, when OpenSSH is installed (a one-shot task).</summary>
/// <remarks>Keys made at `docker build` would be baked into the image, the same in every container of it: anyone with
/// the image could impersonate each of them. `ssh-keygen -A` makes the missing keys only (what Debian's postinst and
/// Alpine's sshd init script run), so a container keeps its keys across restarts. Command lines given to the image
/// (`"/usr/sbin/sshd"`) start once the declared one-shot tasks completed; a declared sshd says `DependsOn =
/// [typeof(SshHostKeys)]`. Without OpenSSH, or where /etc/ssh is not writable (a non-root USER, a read-only root
/// filesystem: mount the keys there), it does nothing.</remarks>
[Service("ssh-host-keys", OneShot = true)]
public partial class SshHostKeys
{
    public Command Command => new("/bin/sh", "-c",
        "if command -v ssh-keygen >/dev/null && [ -d /etc/ssh ] && [ -w /etc/ssh ]; then exec ssh-keygen -A; fi");
}
