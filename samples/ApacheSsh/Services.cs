using Tend;

namespace ApacheSsh;

/// <summary>Apache HTTP server, started by its init script as in the seed.</summary>
[Service("apache2", Daemonizes = true, StopTimeout = "5s")]
public partial class Apache
{
    public Command Command => new("/etc/init.d/apache2", "start");
}

/// <summary>OpenSSH daemon.</summary>
/// <remarks>The image holds no host keys (Dockerfile.template removes those openssh-server's install made): each
/// container makes its own before sshd starts (`ssh-keygen -A` makes the missing ones, so a restart keeps them) — in the
/// command itself, so that the container that runs sshd has them also when an orchestrator runs it alone.</remarks>
[Service("sshd", DependsOn = [typeof(Apache)])]
public partial class Sshd
{
    /// <summary>Port sshd listens on.</summary>
    [Option] public int Port { get; init; } = 22;

    /// <summary>Address sshd listens on.</summary>
    [Option] public string ListenAddress { get; init; } = "0.0.0.0";

    public Command Command => new("/bin/sh", "-c", "ssh-keygen -A && exec \"$@\"", "sshd",
        "/usr/sbin/sshd", "-D", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o",
            $"ListenAddress={ListenAddress}");
}
