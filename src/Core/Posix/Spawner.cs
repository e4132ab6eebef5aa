using System.Runtime.InteropServices;
using System.Text;

namespace Tend.Posix;

/// <summary>Starts service processes with posix_spawn: fresh signal dispositions and mask, a session (and process group) of their own.</summary>
internal sealed unsafe class Spawner
{
    private readonly Dictionary<string, string> _environment;
    private readonly string[] _path;

    public Spawner()
    {
        _environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            _environment[(string)e.Key] = (string?)e.Value ?? "";
        _path = (_environment.GetValueOrDefault("PATH") is { Length: > 0 } p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':');
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

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return Libc.access(p, Libc.X_OK) == 0;
    }

    /// <summary>
    /// The command that runs <paramref name="command"/> as <paramref name="user"/>: setpriv sets the ids and groups,
    /// then execs the command, so the service's pid (and, after its exec, its name) stay the command's own.
    /// </summary>
    public Command AsUser(Command command, UserIdentity user, string setpriv)
    {
        var groups = user.Name is not null ? "--init-groups" : "--clear-groups";
        var args = new List<string> { $"--reuid={user.Uid}", $"--regid={user.Gid}", groups, "--", command.Executable };
        args.AddRange(command.Arguments);
        var wrapped = new Command(setpriv, [.. args]);
        foreach (var kv in command.Environment) wrapped = wrapped.WithEnvironment(kv.Key, kv.Value);
        return wrapped;
    }

    /// <summary>
    /// Spawns <paramref name="command"/>, its processes marked with <paramref name="mark"/> (0: none; see
    /// <see cref="RunMarks"/>); returns the pid, or 0 and an error message.
    /// </summary>
    public int Spawn(Command command, string? workingDirectory, int stdoutFd, int stderrFd, out string? error, ulong mark = 0)
    {
        error = null;
        var path = Resolve(command.Executable);
        if (path is null)
        {
            error = $"'{command.Executable}' was not found in PATH: give its full path or install it";
            return 0;
        }

        var strings = new List<nint>();
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(command.Arguments.Length + 2), (nuint)sizeof(nint));
        var env = command.Environment.IsEmpty ? _environment : new Dictionary<string, string>(_environment);
        foreach (var kv in command.Environment) env[kv.Key] = kv.Value;
        var envp = (byte**)NativeMemory.AllocZeroed((nuint)(env.Count + 1), (nuint)sizeof(nint));
        var attr = NativeMemory.AllocZeroed(1024);
        var actions = NativeMemory.AllocZeroed(1024);
        try
        {
            argv[0] = Utf8(command.Executable, strings);
            for (var i = 0; i < command.Arguments.Length; i++) argv[i + 1] = Utf8(command.Arguments[i], strings);
            var k = 0;
            foreach (var kv in env) envp[k++] = Utf8(kv.Key + "=" + kv.Value, strings);

            // These return the error number itself (0 on success). A spawn without its session, signal mask or
            // output would run a service wrong and quietly: it is not started, and the error says which call failed.
            string? failed = null;
            void Check(int rc, string call)
            {
                if (rc != 0) failed ??= $"{call}: {Libc.ErrorText(rc)}";
            }
            Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Libc.SigSet all, none;
            // sigfillset and sigemptyset take no signal number: they cannot fail.
            _ = Libc.sigfillset(&all);
            _ = Libc.sigemptyset(&none);
            Check(Libc.posix_spawnattr_setsigdefault(attr, &all), "posix_spawnattr_setsigdefault");
            Check(Libc.posix_spawnattr_setsigmask(attr, &none), "posix_spawnattr_setsigmask");
            Check(Libc.posix_spawnattr_setflags(attr, (short)(Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSID)), "posix_spawnattr_setflags");
            if (stdoutFd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, stdoutFd, 1), "posix_spawn_file_actions_adddup2(stdout)");
            if (stderrFd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, stderrFd, 2), "posix_spawn_file_actions_adddup2(stderr)");
            if (workingDirectory is not null) Check(Libc.posix_spawn_file_actions_addchdir_np(actions, Utf8(workingDirectory, strings)), "posix_spawn_file_actions_addchdir_np");
            Libc.RLimit restore = default;
            if (failed is null && mark != 0) failed = RunMarks.TrySet(mark, out restore);
            if (failed is not null)
            {
                error = $"cannot prepare the start of '{path}' ({failed})";
                return 0;
            }

            var pathBytes = Utf8(path, strings);
            var rc = Libc.posix_spawn(out var pid, pathBytes, actions, attr, argv, envp);
            if (mark != 0) RunMarks.Restore(restore);
            if (rc != 0)
            {
                error = rc switch
                {
                    Libc.ENOENT when workingDirectory is not null && !Directory.Exists(workingDirectory) => $"the working directory '{workingDirectory}' does not exist",
                    Libc.ENOENT => $"'{path}' does not exist (or its interpreter is missing)",
                    Libc.EACCES => $"'{path}' is not executable: check its mode (chmod +x) and that it is a file",
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

    private static byte* Utf8(string s, List<nint> owned)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        owned.Add((nint)p);
        return p;
    }
}
