using System.Runtime.InteropServices;

namespace Tend.Posix;

/// <summary>
/// Starts service processes with posix_spawn, each as a clean slate: every signal (1 to 64, the real-time ones
/// included) at its default disposition and none blocked, whatever the .NET runtime ignores, handles or blocks in
/// Tend; no descriptor but 0, 1 and 2; stdin /dev/null unless the service asked for the container's; a session (and
/// process group) of its own; arguments and environment byte for byte (<see cref="OsText"/>).
/// </summary>
internal sealed unsafe class Spawner
{
    private readonly List<(string Name, byte[] Entry)> _environment;
    private readonly string[] _path;
    private int _devNull = -1;
    private static bool s_noCloseFrom;

    /// <summary>
    /// RLIMIT_NOFILE as Tend got it, taken by <see cref="CaptureLimits"/> before Tend changes it: every service gets
    /// exactly this, whatever Tend raised for itself (<c>--log-prefix</c> raises the soft limit for its pipes), as
    /// systemd restores the limits before exec since v240. Null: not captured (the spawn leaves the limit as it is).
    /// </summary>
    /// <remarks>
    /// A NativeAOT Tend (every image) starts with the container's limits. Under the JIT, the CoreCLR runtime has already
    /// raised the soft limit to the hard one before Main (pal.cpp, INIT_IncreaseDescriptorLimit), so there the value
    /// taken is the raised one.
    /// </remarks>
    private static Libc.RLimit? s_initialNoFile;

    /// <summary>Takes RLIMIT_NOFILE as Tend got it (call first thing in Main).</summary>
    public static void CaptureLimits()
    {
        Libc.RLimit limit;
        if (s_initialNoFile is null && Libc.getrlimit(Libc.RLIMIT_NOFILE, &limit) == 0) s_initialNoFile = limit;
    }

    /// <summary>The last failed spawn failed for want of descriptors, processes or memory: retried later, never a failure for
    /// good.</summary>
    public bool LastWasShortage { get; private set; }

    private static bool IsShortage(int errno) => errno is Libc.EMFILE or Libc.ENFILE or Libc.EAGAIN or Libc.ENOMEM;

    public Spawner()
    {
        // Tend's own sd_notify peer (a systemd unit, podman --sdnotify) is Tend's, never its services' (Notify.SelfNotifier).
        _environment = [.. ProcessInput.Environment().Where(e => !Notify.SelfNotifier.OwnVariables.Contains(e.Name))];
        var path = Environment.GetEnvironmentVariable("PATH");
        _path = (path is { Length: > 0 } p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':');
    }

    /// <summary>Finds the file to execute: a path as given, or the first executable of that name in PATH.</summary>
    public string? Resolve(string executable)
    {
        if (executable.Contains('/')) return executable;
        foreach (var dir in _path)
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, executable);
            if (IsExecutableFile(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// True when <paramref name="path"/> is a file this process may execute (access X_OK, the path's bytes exact): the
    /// one check, used by the spawn and by <see cref="Arguments.ProgramCheck"/> before anything starts.
    /// </summary>
    internal static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        var bytes = OsText.Encode(path + "\0");
        fixed (byte* p = bytes) return Libc.access(p, Libc.X_OK) == 0;
    }

    /// <summary>
    /// The command that runs <paramref name="command"/> as <paramref name="user"/>: setpriv sets the ids and groups,
    /// then execs the command, so the service's pid (and, after its exec, its name) stay the command's own.
    /// </summary>
    public static Command AsUser(Command command, UserIdentity user, string setpriv)
    {
        var groups = user.Name is not null ? "--init-groups" : "--clear-groups";
        var args = new List<string> { $"--reuid={user.Uid}", $"--regid={user.Gid}", groups, "--", command.Executable };
        args.AddRange(command.Arguments);
        var wrapped = new Command(setpriv, [.. args]);
        foreach (var kv in command.Environment) wrapped = wrapped.WithEnvironment(kv.Key, kv.Value);
        return wrapped;
    }

    /// <summary>
    /// Spawns a run of service <paramref name="service"/> (<paramref name="spec"/>): stdin is /dev/null unless the
    /// service asked for the container's (<see cref="ServiceSpec.Stdin"/>); stdout and stderr are Tend's own, or with
    /// <paramref name="pump"/> (<c>--log-prefix</c>) pipes of this run. Returns the pid, or 0 and an error message.
    /// </summary>
    public int SpawnService(Command command, ServiceSpec spec, int service, IRunPipes? pump, out string? error, ulong mark,
        int run = 0)
    {
        var (o, e) = (-1, -1);
        LastWasShortage = false;
        // The service that holds the terminal (docker run -it) keeps it for stdout and stderr too, --log-prefix or not: a
        // shell whose output is a pipe prints no prompt and has no job control.
        if (pump is not null && !(spec.Stdin && Libc.isatty(0) == 1))
        {
            try { (o, e) = pump.OpenRun(service, run); }
            catch (Libc.Failure x)
            {
                LastWasShortage = IsShortage(x.Errno);
                error =
                    $"relaying its output (the log buffer, --log-prefix) needs two pipes per run and {x.Text}: retried with " +
                        $"backoff; if it lasts, raise the open-file limit (ulimit -n, docker run --ulimit nofile=…), or give " +
                        $"--log-buffer {spec.Name}=0 and drop --log-prefix";
                return 0;
            }
        }
        try { return Spawn(command, spec.WorkingDirectory, o, e, out error, mark, stdin: spec.Stdin); }
        finally
        {
            // The child has its copies; Tend keeps none, so the pipes end with the run.
            // Linux releases the descriptor whatever close returns: nothing to retry.
            if (o >= 0) _ = Libc.close(o);
            if (e >= 0) _ = Libc.close(e);
        }
    }

    /// <summary>
    /// Spawns <paramref name="command"/> with stdin /dev/null (or Tend's own with <paramref name="stdin"/>), its
    /// processes marked with <paramref name="mark"/> (0: none; see <see cref="RunMarks"/>); stdout and stderr are
    /// <paramref name="stdoutFd"/> and <paramref name="stderrFd"/>, or Tend's own for -1. Returns the pid, or 0 and an
    /// error message.
    /// </summary>
    public int Spawn(Command command, string? workingDirectory, int stdoutFd, int stderrFd, out string? error, ulong mark = 0,
        bool stdin = false)
    {
        error = null;
        LastWasShortage = false;
        var path = Resolve(command.Executable);
        if (path is null)
        {
            error = $"'{command.Executable}' was not found in PATH: give its full path or install it";
            return 0;
        }
        if (!stdin && _devNull < 0) _devNull = Libc.OpenDevNullForReading();

        var strings = new List<nint>();
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(command.Arguments.Length + 2), (nuint)sizeof(nint));
        var env = EnvironmentOf(command);
        var envp = (byte**)NativeMemory.AllocZeroed((nuint)(env.Count + 1), (nuint)sizeof(nint));
        var attr = NativeMemory.AllocZeroed(1024);
        var actions = NativeMemory.AllocZeroed(1024);
        try
        {
            argv[0] = Native(command.Executable, strings);
            for (var i = 0; i < command.Arguments.Length; i++) argv[i + 1] = Native(command.Arguments[i], strings);
            for (var k = 0; k < env.Count; k++) envp[k] = Native(env[k], strings);

            // These return the error number itself (0 on success). A spawn without its session, signal mask or
            // output would run a service wrong and quietly: it is not started, and the error says which call failed.
            string? failed = null;
            void Check(int rc, string call)
            {
                if (rc == 0) return;
                failed ??= $"{call}: {Libc.ErrorText(rc)}";
                LastWasShortage |= IsShortage(rc);
            }
            Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            // Every signal 1..64 by its bit, not sigfillset: glibc's leaves out the two it uses itself (32 and 33).
            // sigemptyset takes no signal number: it cannot fail.
            Libc.SigSet all, none;
            _ = Libc.sigemptyset(&all);
            *(ulong*)&all = ulong.MaxValue;
            _ = Libc.sigemptyset(&none);
            Check(Libc.posix_spawnattr_setsigdefault(attr, &all), "posix_spawnattr_setsigdefault");
            Check(Libc.posix_spawnattr_setsigmask(attr, &none), "posix_spawnattr_setsigmask");
            // A service that reads the container's terminal (docker run -it) stays in Tend's session, whose controlling
            // terminal it is, in a process group of its own made the terminal's foreground group: job control works in
            // it, and Ctrl-C and Ctrl-Z reach it alone (the other services, in sessions of their own, never see them).
            // Every other service gets a session of its own.
            var terminal = stdin && Libc.isatty(0) == 1;
            if (terminal)
            {
                Check(Libc.posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
                try { Check(Libc.posix_spawn_file_actions_addtcsetpgrp_np(actions, 0), "posix_spawn_file_actions_addtcsetpgrp_np"); }
                catch (EntryPointNotFoundException) { } // glibc before 2.35: the terminal stays Tend's, no job control
            }
            var session = terminal ? Libc.POSIX_SPAWN_SETPGROUP : Libc.POSIX_SPAWN_SETSID;
            Check(Libc.posix_spawnattr_setflags(attr, (short)(Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK | session)),
                "posix_spawnattr_setflags");
            if (!stdin && _devNull >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, _devNull, 0),
                "posix_spawn_file_actions_adddup2(stdin)");
            if (stdoutFd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, stdoutFd, 1),
                "posix_spawn_file_actions_adddup2(stdout)");
            if (stderrFd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, stderrFd, 2),
                "posix_spawn_file_actions_adddup2(stderr)");
            // Tend opens everything close-on-exec; closing the rest in the child as well costs one close_range(2) and
            // keeps a descriptor a library opened without O_CLOEXEC from leaking into every service.
            if (!s_noCloseFrom)
            {
                try { Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, 3), "posix_spawn_file_actions_addclosefrom_np"); }
                catch (EntryPointNotFoundException) { s_noCloseFrom = true; } // glibc before 2.34: close-on-exec alone
            }
            if (workingDirectory is not null) Check(Libc.posix_spawn_file_actions_addchdir_np(actions, Native(workingDirectory, strings)),
                "posix_spawn_file_actions_addchdir_np");
            Libc.RLimit restore = default, current = default;
            if (failed is null && mark != 0) failed = RunMarks.TrySet(mark, out restore);
            if (failed is not null)
            {
                error = $"cannot prepare the start of '{path}' ({failed})";
                return 0;
            }
            var pathBytes = Native(path, strings);
            // The service gets the open-file limit Tend got, not the one Tend raised for itself: set for the spawn and put
            // back right after, as the lineage mark is (only the supervisor's thread spawns). Meanwhile another thread of
            // Tend's that opens a descriptor above the lowered limit gets EMFILE and retries (the control socket's accept).
            var raised = s_initialNoFile is { } initial && Libc.getrlimit(Libc.RLIMIT_NOFILE,
                &current) == 0 && current.Soft != initial.Soft;
            if (raised)
            {
                var wanted = current with { Soft = Math.Min(s_initialNoFile!.Value.Soft, current.Hard) };
                if (Libc.setrlimit(Libc.RLIMIT_NOFILE, &wanted) != 0) raised = false; // cannot fail for a soft limit under the hard one
            }
            var rc = Libc.posix_spawn(out var pid, pathBytes, actions, attr, argv, envp);
            if (raised) Libc.Check(Libc.setrlimit(Libc.RLIMIT_NOFILE, &current), "cannot restore RLIMIT_NOFILE after a spawn");
            if (mark != 0) RunMarks.Restore(restore);
            if (rc != 0)
            {
                LastWasShortage = IsShortage(rc);
                error = rc switch
                {
                    Libc.ENOENT when workingDirectory is not null
                        && !Directory.Exists(workingDirectory) => $"the working directory '{workingDirectory}' does not exist",
                    Libc.ENOENT => $"'{path}' does not exist (or its interpreter is missing)",
                    Libc.EACCES => $"'{path}' is not executable: check its mode (chmod +x) and that it is a file",
                    _ when IsShortage(rc) =>
                        $"cannot start '{path}' for now: {Libc.ErrorText(rc)}; retried with backoff until the machine has the resources " +
                            $"again",
                    _ => $"cannot start '{path}': {Libc.ErrorText(rc)}",
                };
                return 0;
            }
            return pid;
        }
        finally
        {
            // glibc's destroy functions free what init allocated and return 0 (an init that failed left the zeroed
            // memory, which they accept): nothing to check.
            _ = Libc.posix_spawn_file_actions_destroy(actions);
            _ = Libc.posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            foreach (var s in strings) NativeMemory.Free((void*)s);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
        }
    }

    /// <summary>The environment of a command: Tend's own, byte for byte, with the command's variables added or replaced.</summary>
    private List<byte[]> EnvironmentOf(Command command)
    {
        if (command.Environment.IsEmpty) return [.. _environment.Select(e => e.Entry)];
        var list = new List<byte[]>(_environment.Count + command.Environment.Count);
        foreach (var (name, entry) in _environment)
            if (!command.Environment.ContainsKey(name)) list.Add(entry);
        foreach (var kv in command.Environment) list.Add(OsText.Encode(kv.Key + "=" + kv.Value));
        return list;
    }

    /// <summary>A NUL-terminated copy in native memory (freed with <paramref name="owned"/>).</summary>
    private static byte* Native(string s, List<nint> owned) => Native(OsText.Encode(s), owned);

    private static byte* Native(byte[] bytes, List<nint> owned)
    {
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        owned.Add((nint)p);
        return p;
    }
}
