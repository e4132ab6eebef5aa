using System.Diagnostics;

namespace Tend.Templates.Tests;

/// <summary>From a clean clone, as the README says, to a running multi-service container (Docker, else podman).</summary>
public sealed class TemplateTests(TemplateImage image) : IClassFixture<TemplateImage>, IDisposable
{
    private readonly string _container = Engine.NewContainer("template");

    public void Dispose() => Engine.Remove(container: _container);

    [Fact]
    public void The_readme_commands_from_a_clean_clone_make_a_project_that_builds_and_runs_as_it_stands()
    {
        // pack.sh said what to run next; the project restored Tend from the folder it carries, with no edit.
        Assert.Contains("dotnet new install artifacts/packages/Tend.Templates.", image.ReadmeOutput);
        var packed = Directory.GetFiles(Path.Combine(image.Clone,
            "artifacts/packages")).Select(f => Path.GetFileName(f)!).Order().ToArray();
        var version = File.ReadAllText(Path.Combine(image.Clone, "Directory.Build.props")).Split("<Version>")[1].Split('<')[0];
        Assert.Equal([$"Tend.{version}.nupkg", $"Tend.Templates.{version}.nupkg"], packed);
        Assert.Equal([$"Tend.{version}.nupkg"], Directory.GetFiles(Path.Combine(image.Project,
            "packages")).Select(f => Path.GetFileName(f)!));
        Assert.Contains($"<PackageReference Include=\"Tend\" Version=\"{version}\" />", File.ReadAllText(Path.Combine(image.Project,
            "MyImage.csproj")));
        Assert.Contains("<add key=\"tend-local\" value=\"packages\" />", File.ReadAllText(Path.Combine(image.Project, "nuget.config")));
        Assert.Contains("not on nuget.org yet", File.ReadAllText(Path.Combine(image.Project, "README.md")));
        Assert.True(File.Exists(Path.Combine(image.Project, "Dockerfile")), "the project has no Dockerfile");
        Assert.Contains("--greeter-name STRING", image.Help);
        Assert.Contains("(default: 30s; env TEND_HEARTBEAT_INTERVAL)", image.Help);
    }

    [Fact]
    public void Installing_the_template_from_its_source_folder_is_refused_with_what_to_do()
    {
        var hive = Path.Combine(image.Work, "hive-source-folder");
        Shell.Run(image.Work, "dotnet", "new", "install", Path.Combine(image.Clone, "src/Templates/content/tend-app"),
            "--debug:custom-hive", hive);
        var (code, output) = Shell.Try(image.Work, "dotnet", "new", "tend", "-n", "FromFolder", "--debug:custom-hive", hive);
        Assert.NotEqual(0, code);
        Assert.Contains("this folder is its source, not a template", output);
        Assert.Contains("bash scripts/pack.sh", output);
        Assert.False(Directory.Exists(Path.Combine(image.Work, "FromFolder")), "a project was made from the source folder");
    }

    [Fact]
    public void The_image_runs_the_seed_flow_and_undoes_stops_by_hand()
    {
        var port = Loopback.FreePort();
        Engine.Run("run", "-d", "--name", _container, "--label", Engine.Label, "-p", $"127.0.0.1:{port}:80", image.SeedImage,
            "--log-format", "json", "/usr/sbin/sshd", "/etc/init.d/apache2 start");
        Assert.StartsWith("HTTP/1.1 ", Loopback.Http(port, 20));
        var pid1 = int.Parse(Engine.Run("inspect", "-f", "{{.State.Pid}}", _container).Trim());
        Assert.Contains(Shell.Descendants(pid1), p => p.Comm == "sshd");

        // The declared example services run too: the one-shot greeter, then the heartbeat.
        // Tend's events (stderr) and the greeter's line (stdout) reach the logs through two pipes: wait for both.
        WaitForLogs(l => l.Contains("\"service\":\"heartbeat\",\"event\":\"started\"") && l.Contains("hello, world"));

        // `service apache2 stop` from inside the container is undone: a new apache2 runs and answers. How fast is the
        // benchmark's figure (bench/); the 30 s timeouts below only catch a hang.
        var before = Shell.Descendants(pid1).Where(p => p.Cmdline.StartsWith("/usr/sbin/apache2")).Select(p => p.Pid).ToHashSet();
        Engine.Run("exec", _container, "service", "apache2", "stop");
        var sw = Stopwatch.StartNew();
        while (!Shell.Descendants(pid1).Any(p => p.Cmdline.StartsWith("/usr/sbin/apache2") && !before.Contains(p.Pid))
            && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(2);
        Assert.True(Shell.Descendants(pid1).Any(p => p.Cmdline.StartsWith("/usr/sbin/apache2") && !before.Contains(p.Pid)),
            "apache2 did not come back within 30 s");
        Console.WriteLine($"apache2 came back {sw.ElapsedMilliseconds} ms after `service apache2 stop` returned");
        Assert.StartsWith("HTTP/1.1 ", Loopback.Http(port, 30));

        // kill -9 of sshd is undone: a new sshd runs.
        var sshd = Shell.Descendants(pid1).First(p => p.Comm == "sshd").Pid;
        Assert.Equal(0, Shell.kill(sshd, Shell.SIGKILL));
        sw.Restart();
        while (!Shell.Descendants(pid1).Any(p => p.Comm == "sshd" && p.Pid != sshd)
            && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(1);
        Assert.True(Shell.Descendants(pid1).Any(p => p.Comm == "sshd" && p.Pid != sshd), "sshd did not come back within 30 s");
        Console.WriteLine($"sshd came back {sw.ElapsedMilliseconds} ms after kill -9");

        // The entrypoint's memory, for the record.
        var rss = File.ReadLines($"/proc/{pid1}/status").First(l => l.StartsWith("VmRSS:"));
        Console.WriteLine($"entrypoint {rss}");

        // `docker stop -t 10`: every service stops and Tend exits 0 within the grace period, the engine's contract: a Tend
        // still running after 10 s would be SIGKILLed (exit code 137), so exit code 0 is the bound, whatever the load.
        sw.Restart();
        Engine.Run("stop", "-t", "10", _container);
        Console.WriteLine($"{Engine.Name} stop took {sw.ElapsedMilliseconds} ms");
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        var final = Engine.Run("logs", _container);
        Assert.Contains("\"message\":\"exiting with code 0\"", final);
        Assert.Contains("\"service\":\"apache2\",\"event\":\"stopped\"", final);
        Assert.Contains("\"service\":\"sshd\",\"event\":\"stopped\"", final);
    }

    [Fact]
    public void A_container_restart_is_a_boot_the_seed_services_come_back_whatever_their_stale_pid_files_name()
    {
        // A file the engine bind-mounts into /run, named like a pid file: it is not the container's to clear.
        var bound = Path.Combine(image.Work, $"bound-{Guid.NewGuid():N}.pid");
        File.WriteAllText(bound, "1\n");
        var port = Loopback.FreePort();
        Engine.Run("run", "-d", "--name", _container, "--label", Engine.Label, "-p", $"127.0.0.1:{port}:80",
            "-v", $"{bound}:/run/bound.pid", image.SeedImage, "--log-format", "json", "/usr/sbin/sshd", "/etc/init.d/apache2 start");
        Assert.StartsWith("HTTP/1.1 200 ", Loopback.Http(port, 20));

        // The previous boot ends abruptly (as after the stop timeout, an OOM kill, a host crash: no daemon removes its pid
        // file) with pid files naming pid 1, which is Tend in every boot: alive when apache2's script reads its pid file.
        // Without the cleanup apache2ctl says "already running", the script exits 0, and apache2 never runs again.
        Engine.Run("exec", _container, "sh", "-c",
            "echo 1 > /run/apache2/apache2.pid && echo 1 > /run/sshd.pid && : > /run/crond.reboot && : > /run/keep.conf");
        Engine.Run("kill", "-s", "KILL", _container);
        Engine.Run("restart", "-t", "10", _container);

        Assert.StartsWith("HTTP/1.1 200 ", Loopback.Http(port, 20));
        var pid1 = int.Parse(Engine.Run("inspect", "-f", "{{.State.Pid}}", _container).Trim());
        var sw = Stopwatch.StartNew();
        while (!Shell.Descendants(pid1).Any(p => p.Comm == "sshd") && sw.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.Contains(Shell.Descendants(pid1), p => p.Comm == "sshd");

        var logs = Engine.Run("logs", _container);
        foreach (var path in new[] { "/run/apache2/apache2.pid", "/run/sshd.pid", "/run/crond.reboot" })
            Assert.Single(logs.Split('\n'),
                l => l.Contains("\"event\":\"info\"") && l.Contains($"\"message\":\"removed {path}: left by the previous boot"));
        Assert.DoesNotContain("removed /run/bound.pid", logs);
        Assert.DoesNotContain("\"event\":\"error\"", logs);
        Assert.Equal("1\n", File.ReadAllText(bound));
        // What the image built (/run/sshd: sshd refuses to start without it) and files of no stale kind stay.
        Assert.Equal(0, Engine.Try("exec", _container, "sh", "-c", "test -d /run/sshd && test -f /run/keep.conf").Code);
        Engine.Run("stop", "-t", "10", _container);
        Engine.Remove(container: _container);
        File.Delete(bound);
    }

    [Fact]
    public void Tend_status_and_stop_work_through_exec_and_the_healthcheck_follows_the_critical_service()
    {
        Engine.Run(["run", "-d", "--name", _container, "--label", Engine.Label, .. Engine.HealthFlags, image.Image]);
        WaitForLogs(l => l.Contains("heartbeat: started"));
        Assert.Equal("[CMD /usr/local/bin/tend health]", Engine.Run("inspect", "-f", "{{.Config.Healthcheck.Test}}", image.Image).Trim());
        Engine.WaitForHealth(_container, healthy: true);

        var status = Engine.Run("exec", _container, "tend", "status");
        Assert.Contains(status.Split('\n'), l => l.StartsWith("heartbeat ") && l.Contains(" running "));
        Assert.Contains(status.Split('\n'), l => l.StartsWith("greeter ") && l.Contains(" completed "));

        Assert.Contains("heartbeat: stopped", Engine.Run("exec", _container, "tend", "stop", "heartbeat"));
        var unhealthy = Engine.Try("exec", _container, "tend", "health");
        Assert.Equal(1, unhealthy.Code);
        Assert.Contains("unhealthy: heartbeat is stopped", unhealthy.Output);
        Engine.WaitForHealth(_container, healthy: false);

        Assert.Contains("heartbeat: running", Engine.Run("exec", _container, "tend", "start", "heartbeat"));
        Engine.WaitForHealth(_container, healthy: true);
        Engine.Run("stop", "-t", "10", _container);
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
    }

    [Fact]
    public void The_default_image_installs_nothing_more_and_no_layer_of_either_image_holds_ssh_host_keys()
    {
        // Minimal by default: neither sshd nor apache2; the marked place's example line adds them.
        Assert.Equal(1, Engine.Try("run", "--rm", "--label", Engine.Label, "--entrypoint", "/bin/sh", image.Image, "-c",
            "test -e /usr/sbin/sshd || test -e /usr/sbin/apache2").Code);
        Assert.Equal(0, Engine.Try("run", "--rm", "--label", Engine.Label, "--entrypoint", "/bin/sh", image.SeedImage, "-c",
            "test -x /usr/sbin/sshd && test -x /usr/sbin/apache2 && test -d /run/sshd").Code);
        var sizes = new[] { image.Image, image.SeedImage }.Select(i => long.Parse(Engine.Run("image", "inspect", "-f", "{{.Size}}",
            i).Trim())).ToArray();
        Console.WriteLine($"template image: {sizes[0] / 1_000_000} MB as made, {sizes[1] / 1_000_000} MB with the seed's packages");

        // Every file of every layer, not only the final filesystem: a key removed by a later step would still be in
        // the layer that made it, for anyone who pulls the image.
        foreach (var tag in new[] { image.Image, image.SeedImage })
        {
            var dir = Directory.CreateTempSubdirectory("tend-saved-").FullName;
            try
            {
                Engine.Run("save", "-o", Path.Combine(dir, "image.tar"), tag);
                var files = Shell.Run(dir, "bash", "-c",
                    "set -e; mkdir x; tar -xf image.tar -C x; find x -type f -size +0 | while read -r f; do tar -tf \"$f\" 2>/dev/null " +
                        "|| true; done")
                    .Split('\n');
                Assert.Contains(files, f => f.EndsWith("usr/local/bin/tend", StringComparison.Ordinal)); // the scan sees the layers
                Assert.DoesNotContain(files, f => f.Contains("etc/ssh/ssh_host_", StringComparison.Ordinal));
                if (tag == image.SeedImage) Assert.Contains(files, f => f.EndsWith("etc/ssh/sshd_config", StringComparison.Ordinal));
            }
            finally { Directory.Delete(dir, recursive: true); }
        }
    }

    [Fact]
    public void Each_container_makes_its_own_ssh_host_keys_at_its_first_start_and_keeps_them_across_a_restart()
    {
        var other = Engine.NewContainer("template-keys");
        try
        {
            var ports = new[] { Loopback.FreePort(), Loopback.FreePort() };
            var names = new[] { _container, other };
            for (var i = 0; i < 2; i++)
                Engine.Run("run", "-d", "--name", names[i], "--label", Engine.Label, "-p", $"127.0.0.1:{ports[i]}:22", image.SeedImage,
                    "/usr/sbin/sshd");
            // The key each sshd serves, as a client sees it.
            var keys = ports.Select(p => HostKey(p)).ToArray();
            Assert.NotEqual(keys[0], keys[1]);
            var logs = Engine.Run("logs", _container);
            Assert.Contains("ssh-keygen: generating new host keys", logs);
            // The command line started after the set-up task completed (Tend's own lines, in the order it wrote them).
            var lines = logs.Split('\n');
            var done = Array.FindIndex(lines, l => l.StartsWith("tend: ssh-host-keys: pid ",
                StringComparison.Ordinal) && l.Contains(" exited 0"));
            Assert.True(done >= 0 && done < Array.FindIndex(lines, l => l.StartsWith("tend: sshd: started", StringComparison.Ordinal)),
                logs);

            // A restart is the same container: its keys stay (ssh-keygen -A makes only missing ones), so clients trust it still.
            Engine.Run("restart", "-t", "10", _container);
            Assert.Equal(keys[0], HostKey(ports[0]));
            Engine.Run("stop", "-t", "10", _container);
            Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
        }
        finally { Engine.Remove(container: other); }
    }

    [Fact]
    public void The_healthcheck_follows_every_service_a_command_line_one_too_down_when_stopped_or_failing_up_when_back()
    {
        Engine.Run(["run", "-d", "--name", _container, "--label", Engine.Label, .. Engine.HealthFlags, image.SeedImage,
            "/usr/sbin/sshd", "/etc/init.d/apache2 start"]);
        Engine.WaitForHealth(_container, healthy: true);
        var (code, output) = Engine.Try("exec", _container, "tend", "health");
        Assert.Equal(0, code);
        Assert.Contains("healthy: 5 services are up", output); // greeter and ssh-host-keys completed, heartbeat, sshd, apache2

        // Stopped on request: apache2 is not critical, and the container no longer does what it was started to do.
        Assert.Contains("apache2: stopped", Engine.Run("exec", _container, "tend", "stop", "apache2"));
        (code, output) = Engine.Try("exec", _container, "tend", "health");
        Assert.Equal(1, code);
        Assert.Contains("unhealthy: apache2 is stopped", output);
        Engine.WaitForHealth(_container, healthy: false);
        Assert.Contains("apache2: running", Engine.Run("exec", _container, "tend", "start", "apache2"));
        Engine.WaitForHealth(_container, healthy: true);

        // Failing: sshd dies and its program is gone, so its restarts fail (backoff, then failed).
        Engine.Run("exec", _container, "sh", "-c", "mv /usr/sbin/sshd /usr/sbin/sshd.gone && kill $(cat /run/sshd.pid)");
        Engine.WaitForHealth(_container, healthy: false);
        (code, output) = Engine.Try("exec", _container, "tend", "health");
        Assert.Equal(1, code);
        Assert.Contains("unhealthy: sshd is ", output);
        Engine.Run("exec", _container, "mv", "/usr/sbin/sshd.gone", "/usr/sbin/sshd");
        Engine.Try("exec", _container, "tend", "start", "sshd"); // a failed service waits for this; one in backoff retries by itself
        Engine.WaitForHealth(_container, healthy: true, seconds: 60);
        Engine.Run("stop", "-t", "10", _container);
        Assert.Equal("0", Engine.Run("inspect", "-f", "{{.State.ExitCode}}", _container).Trim());
    }

    [Fact]
    public void Docker_run_it_through_a_pty_gives_bash_job_control_Ctrl_C_for_its_job_alone_and_its_exit_code()
    {
        using var pty =
            new Pty($"{Engine.Name} run -it --rm --name {_container} --label {Engine.Label} -e PS1='$ ' -e TERM=dumb {image.Image} " +
                $"'sleep 1000' 'bash --norc --noprofile'");
        var at = pty.WaitFor("bash: started", seconds: 30);
        var pid1 = int.Parse(Engine.Run("inspect", "-f", "{{.State.Pid}}", _container).Trim());
        pty.Send("sleep 30 &\n");
        at = pty.WaitFor("[1] ", at);
        pty.Send("jobs\n");
        at = pty.WaitFor("Running", at);
        pty.Send("fg\n");
        at = pty.WaitFor("sleep 30\r\n", at);
        WaitUntilForeground(pid1, "sleep 30");
        pty.Send("\u0003"); // Ctrl-C: the container's terminal sends SIGINT to its foreground group, the job bash put there
        pty.Send("echo rc=$?\n");
        at = pty.WaitFor("rc=130", at);
        // The other service never saw it: still its first run.
        var status = Engine.Run("exec", _container, "tend", "status");
        Assert.Contains(status.Split('\n'), l => l.StartsWith("sleep ",
            StringComparison.Ordinal) && l.Contains(" running ") && l.Contains(" 0 "));
        pty.Send("sleep 40\n");
        WaitUntilForeground(pid1, "sleep 40");
        pty.Send("\u001a"); // Ctrl-Z: SIGTSTP to the job
        at = pty.WaitFor("Stopped", at);
        pty.Send("jobs -l\n");
        at = pty.WaitFor("sleep 40", at);
        // bash learns of the job's end from its SIGCHLD: until then it counts a stopped job and refuses the first exit (and
        // `wait` returns at once for a stopped job), so ask until the job is gone; the words only the answer holds
        // ("job""gone" prints jobgone): the terminal echoes the command line too.
        pty.Send("kill -9 %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done; echo \"job\"\"gone\"\n");
        at = pty.WaitFor("jobgone", at);
        Assert.DoesNotContain("received SIGINT", pty.Output);
        Assert.DoesNotContain("sleep: pid", pty.Output);
        pty.Send("exit 3\n");
        Assert.Equal(3, pty.Exit(30)); // docker run's exit code: the container's
        Assert.Contains("exiting with code 3", pty.Output);
    }

    /// <summary>Waits until the process running <paramref name="cmdline"/> in the container leads its terminal's foreground
    /// group.</summary>
    private static void WaitUntilForeground(int pid1, string cmdline)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            foreach (var p in Shell.Descendants(pid1).Where(p => p.Cmdline == cmdline))
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{p.Pid}/stat");
                    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (f[2] == f[5]) return; // pgrp == tpgid (proc(5))
                }
                catch (IOException) { } // it just ended
            }
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"'{cmdline}' never became the terminal's foreground");
            Thread.Sleep(10);
        }
    }

    /// <summary>The ed25519 host key sshd serves on <paramref name="port"/> (ssh-keyscan), waiting for sshd to answer.</summary>
    private static string HostKey(int port)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var (_, output) = Shell.Try("/", "ssh-keyscan", "-T", "2", "-t", "ed25519", "-p", port.ToString(), "127.0.0.1");
            var line = output.Split('\n').FirstOrDefault(l => l.Contains(" ssh-ed25519 ", StringComparison.Ordinal) && !l.StartsWith('#'));
            if (line is not null) return line.Split(' ')[2];
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"sshd on port {port} never showed its host key:\n{output}");
            Thread.Sleep(200); // a poll of ssh-keyscan (a timeout above)
        }
    }

    [Fact]
    public void A_typed_option_reaches_the_service_and_a_bad_value_exits_2()
    {
        var (code, output) = Engine.Try("run", "--rm", "--name", _container, "--label", Engine.Label, image.Image, "--heartbeat-interval",
            "soon");
        Assert.Equal(2, code);
        Assert.Contains("option '--heartbeat-interval' got 'soon': expected a duration", output);

        var (helpCode, help) = Engine.Try("run", "--rm", "--label", Engine.Label, image.Image, "--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("--greeter-name STRING", help);
        Assert.Contains("(default: 30s; env TEND_HEARTBEAT_INTERVAL)", help);

        Engine.Run("run", "-d", "--name", _container, "--label", Engine.Label, "-e", "TEND_GREETER_NAME=container", image.Image);
        Assert.Contains("hello, container", WaitForLogs(l => l.Contains("hello, container")));
        Engine.Run("stop", "-t", "10", _container);
    }

    [Fact]
    public void A_wrong_template_parameter_is_a_clear_error()
    {
        var (code, output) = Shell.Try(image.Work, "dotnet", "new", "tend", "-n", "Bad", "-o", "Bad", "--HeartbeatSeconds", "often",
            "--debug:custom-hive", image.Hive);
        Assert.NotEqual(0, code);
        Assert.Contains("often", output);
        Assert.Contains("HeartbeatSeconds", output);
        Assert.False(Directory.Exists(Path.Combine(image.Work, "Bad")), "a half-made project was left behind");
    }

    [Fact]
    public void A_build_without_network_says_it_needs_the_network()
    {
        var tag = Engine.NewImage("offline");
        try
        {
            var (code, output) = Engine.TryBuild(image.Project, tag, "--no-cache", "--network=none");
            Assert.NotEqual(0, code);
            Assert.Contains("this build needs network access", output);
        }
        finally { Engine.Remove(image: tag); }
    }

    private string WaitForLogs(Func<string, bool> ready)
    {
        var sw = Stopwatch.StartNew();
        string logs;
        while (!ready(logs = Engine.Run("logs", _container)) && sw.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(100);
        Assert.True(ready(logs), $"the container never logged what the test waits for:\n{logs}");
        return logs;
    }
}
