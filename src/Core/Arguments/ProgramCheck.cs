using Tend.Posix;

namespace Tend.Arguments;

/// <summary>
/// Before anything starts: every service's program (and every readiness and liveness command's) exists and is executable.
/// A typo in a command line is bad input, said once with exit code 2, not a crash loop of spawn errors. A program
/// that disappears later is the supervisor's business: it retries with backoff, as for any failing start.
/// </summary>
internal static class ProgramCheck
{
    /// <param name="services">The services about to start.</param>
    /// <param name="isControlVerb">Whether a word is a control verb (<c>status</c>…): a program named like one that is
    /// not found gets a hint that the verb takes no options before it. Given by the host (Control is a layer above).</param>
    /// <exception cref="UsageException">The first program that is missing or not executable.</exception>
    public static void Verify(IEnumerable<ServiceSpec> services, Func<string, bool>? isControlVerb = null)
    {
        var spawner = new Spawner();
        foreach (var s in services)
        {
            if (Problem(s.Command, s.WorkingDirectory, spawner, isControlVerb) is { } problem)
                throw new UsageException(s.Command.BaseName == s.Name ? problem : $"service '{s.Name}': {problem}");
            if (s.Ready?.Check.Command is { } check && Problem(check, s.WorkingDirectory, spawner, isControlVerb) is { } checkProblem)
                throw new UsageException($"the readiness check of service '{s.Name}': {checkProblem}");
            if (s.Alive?.Check.Command is { } alive && Problem(alive, s.WorkingDirectory, spawner, isControlVerb) is { } aliveProblem)
                throw new UsageException($"the liveness check of service '{s.Name}': {aliveProblem}");
        }
    }

    /// <summary>What is wrong with running <paramref name="command"/>, or null when its program can be executed.</summary>
    public static string? Problem(Command command, string? workingDirectory, Spawner spawner, Func<string, bool>? isControlVerb = null)
    {
        var program = command.Executable;
        if (!program.Contains('/'))
            return spawner.Resolve(program) is null
                ? $"'{program}' was not found in PATH: install it, or give its full path" +
                  (isControlVerb?.Invoke(program) == true ? $" (to ask a running Tend, 'tend {program} …' takes no options before the verb)"
                      : "")
                : null;
        var path = workingDirectory is not null && !Path.IsPathRooted(program) ? Path.Combine(workingDirectory, program) : program;
        if (Directory.Exists(path)) return $"'{program}' is a directory, not a program: give the path of the program to run";
        if (!File.Exists(path)) return $"'{program}' does not exist: install it, or correct the path";
        return Spawner.IsExecutableFile(path) ? null
            : $"'{program}' is not executable: make it so (chmod +x {ShellWords.Quote(program)}), or run it through its interpreter";
    }
}
