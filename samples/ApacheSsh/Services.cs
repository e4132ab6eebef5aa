using Tend;

namespace ApacheSsh;

/// <summary>Apache HTTP server, started by its init script as in the seed.</summary>
[Service("apache2", Daemonizes = true, StopTimeout = "5s")]
public partial class Apache
{
    public Command Command => new("/etc/init.d/apache2", "start");
}

/// <summary>OpenSSH daemon.</summary>
[Service("sshd", DependsOn = [typeof(Apache)])]
public partial class Sshd
{
    /// <summary>Port sshd listens on.</summary>
    [Option] public int Port { get; init; } = 22;

    /// <summary>Address sshd listens on.</summary>
    [Option] public string ListenAddress { get; init; } = "0.0.0.0";

    public Command Command => new("/usr/sbin/sshd", "-D", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o",
        $"ListenAddress={ListenAddress}");
}
