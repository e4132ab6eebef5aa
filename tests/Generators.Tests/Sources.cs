namespace Tend.Generators.Tests;

internal static class Sources
{
    public const string Seed = """
        using Tend;

        namespace App;

        /// <summary>Apache HTTP server, started by its init script.</summary>
        [Service("apache2", Daemonizes = true, StopTimeout = "5s")]
        public partial class Apache
        {
            public Command Command => new("/etc/init.d/apache2", "start");
        }

        /// <summary>OpenSSH daemon.</summary>
        [Service("sshd", DependsOn = [typeof(Apache)], Restart = Restart.OnFailure, Critical = true, StopSignal = "SIGQUIT", Backoff = "250ms")]
        public partial class Sshd
        {
            /// <summary>Port sshd listens on.</summary>
            [Option] public int Port { get; init; } = 22;

            public Command Command => new("/usr/sbin/sshd", "-D", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        """;

    public const string AllTypes = """
        using System;
        using System.Globalization;
        using Tend;

        namespace App;

        public enum Level { Debug, Info, Warn }

        /// <summary>A web server with one option of each supported type.</summary>
        [Service("web")]
        public partial class Web
        {
            /// <summary>Address to bind.</summary>
            [Option] public string Host { get; init; } = "127.0.0.1";
            [Option] public bool Verbose { get; init; }
            [Option] public int Port { get; init; } = 80;
            [Option] public long MaxBytes { get; init; } = 1048576;
            [Option] public double Ratio { get; init; } = 0.5;
            [Option] public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
            [Option] public Level Level { get; init; } = Level.Info;
            [Option] public int? Workers { get; init; }
            [Option("header")] public string[] Headers { get; init; } = [];
            [Option] public string? Motd { get; init; }

            /// <summary>Ready once its port accepts: the check follows the bound option.</summary>
            public Readiness Ready => Readiness.Tcp(Port);

            public Command Command => new("/bin/web",
                Host, Verbose ? "verbose" : "quiet", Port.ToString(CultureInfo.InvariantCulture), MaxBytes.ToString(CultureInfo.InvariantCulture),
                Ratio.ToString(CultureInfo.InvariantCulture), Timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), Level.ToString(),
                Workers?.ToString(CultureInfo.InvariantCulture) ?? "auto", string.Join("+", Headers), Motd ?? "-");
        }

        [Service("worker", DependsOn = [typeof(Web)])]
        public partial class Worker { public Command Command => new("/bin/worker"); }

        [Service("cron", OneShot = true)]
        public partial class Cron { public Command Command => new("/bin/cron"); }
        """;
}
