using System.Globalization;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

/// <summary>One supervisor under test, in its natural configuration, as PID 1 of a fresh PID namespace.</summary>
internal abstract class Peer
{
    public abstract string Name { get; }

    /// <summary>Keeps several services and restarts them (tini and dumb-init run one child and exit with it).</summary>
    public virtual bool MultiService => true;

    /// <summary>The executable that must exist for the peer to be measured.</summary>
    public abstract string Binary { get; }

    /// <summary>Writes its configuration under <paramref name="dir"/> and returns the command that runs it as PID 1 (after
    /// unshare).</summary>
    /// <param name="services">(name, command line) of each service: the dummy under its own name, with its arguments.</param>
    /// <param name="stopTimeoutMs">Time between SIGTERM and SIGKILL for each service, where the peer has such a setting.</param>
    public abstract string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs);

    /// <summary>What the peer does about escalation, for the table.</summary>
    public virtual string? EscalationNote => null;

    protected static void Script(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    protected static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}

internal sealed class TendPeer(string binary) : Peer
{
    public override string Name => "tend";
    public override string Binary => binary;

    public override string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs) =>
        // --keep-run: the benchmark's PID-1 namespaces share the host's /run, which is not theirs to clear.
        [binary, "--no-adopt", "--keep-run", "--stop-timeout", $"{stopTimeoutMs}ms", "--",
            .. services.Select(s => string.Join(' ', s.Argv.Select(Quote)))];
}

internal sealed class SupervisordPeer : Peer
{
    public override string Name => "supervisord";
    public override string Binary => "/usr/bin/supervisord";
    public override string EscalationNote => "stopwaitsecs is whole seconds: 1 s";

    public override string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs)
    {
        var conf = new System.Text.StringBuilder();
        conf.Append($"[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile={dir}/supervisord.pid\n" +
            $"loglevel=error\n\n");
        conf.Append($"[unix_http_server]\nfile={dir}/supervisor.sock\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = " +
            $"supervisor.rpcinterface:make_main_rpcinterface\n\n");
        foreach (var (name, argv) in services)
            conf.Append($"[program:{name}]\ncommand={string.Join(' ', argv)}\nautorestart=true\nstartsecs=0\nstartretries=1000\n" +
                $"stopsignal=TERM\nstopwaitsecs={Math.Max(1, (stopTimeoutMs + 999) / 1000)}\n\n");
        File.WriteAllText(Path.Combine(dir, "supervisord.conf"), conf.ToString());
        return [Binary, "-n", "-c", Path.Combine(dir, "supervisord.conf")];
    }
}

internal sealed class S6Peer : Peer
{
    public override string Name => "s6";
    public override string Binary => "/usr/bin/s6-svscan";

    public override string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs)
    {
        var scan = Directory.CreateDirectory(Path.Combine(dir, "scan")).FullName;
        foreach (var (name, argv) in services)
        {
            var svc = Directory.CreateDirectory(Path.Combine(scan, name)).FullName;
            Script(Path.Combine(svc, "run"), $"#!/bin/sh\nexec {string.Join(' ', argv.Select(Quote))}\n");
            File.WriteAllText(Path.Combine(svc, "timeout-kill"), stopTimeoutMs.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        // s6-svscan supervises at most 500 services unless told otherwise (-c).
        return [Binary, "-c", Math.Max(500, services.Count * 2).ToString(CultureInfo.InvariantCulture), scan];
    }
}

internal sealed class RunitPeer : Peer
{
    public override string Name => "runit";
    public override string Binary => "/usr/bin/runsvdir";
    public override string EscalationNote => "runsvdir exits on SIGTERM and leaves its services to the kernel's SIGKILL";

    public override string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs)
    {
        var sv = Directory.CreateDirectory(Path.Combine(dir, "sv")).FullName;
        foreach (var (name, argv) in services)
        {
            var svc = Directory.CreateDirectory(Path.Combine(sv, name)).FullName;
            Script(Path.Combine(svc, "run"), $"#!/bin/sh\nexec {string.Join(' ', argv.Select(Quote))}\n");
        }
        return [Binary, "-P", sv];
    }
}

internal sealed class SingleChildPeer(string name, string binary, params string[] flags) : Peer
{
    public override string Name => name;
    public override string Binary => binary;
    public override bool MultiService => false;

    public override string[] Prepare(string dir, IReadOnlyList<(string Name, string[] Argv)> services, int stopTimeoutMs)
    {
        if (services.Count != 1) throw new InvalidOperationException($"{name} runs one child");
        return [binary, .. flags, "--", .. services[0].Argv];
    }
}
