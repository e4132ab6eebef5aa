using System.Collections.Immutable;
using System.Text;
using Tend.Arguments;

namespace Tend;

/// <summary>What a service runs: an executable, its arguments and extra environment. Never run through a shell.</summary>
public sealed class Command
{
    /// <summary>Creates a command from an executable (a path, or a name looked up in PATH) and its arguments.</summary>
    public Command(string executable, params string[] arguments)
        : this(executable, arguments, ImmutableDictionary<string, string>.Empty)
    {
    }

    private Command(string executable, IReadOnlyList<string> arguments, ImmutableDictionary<string, string> environment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        // A null argument (an unset option passed with '!') would fail only at spawn time, far from its cause.
        for (var i = 0; i < arguments.Count; i++)
            if (arguments[i] is null)
                throw new ArgumentNullException(nameof(arguments),
                    $"argument {i + 1} after '{executable}' is null: give every argument a value");
        Executable = executable;
        Arguments = arguments.ToImmutableArray();
        Environment = environment;
    }

    /// <summary>The program: an absolute or relative path, or a name looked up in PATH.</summary>
    public string Executable { get; }

    /// <summary>The arguments after argv[0].</summary>
    public ImmutableArray<string> Arguments { get; }

    /// <summary>Variables added to (or replacing those of) Tend's own environment.</summary>
    public ImmutableDictionary<string, string> Environment { get; }

    /// <summary>The basename of the executable: <c>/etc/init.d/apache2</c> gives <c>apache2</c>.</summary>
    public string BaseName => Path.GetFileName(Executable.TrimEnd('/')) is { Length: > 0 } name ? name : Executable;

    /// <summary>Returns a copy with one more environment variable.</summary>
    public Command WithEnvironment(string name, string value) => new(Executable, Arguments, Environment.SetItem(name, value));

    /// <summary>
    /// Splits a command line the way a POSIX shell splits words (quotes and backslashes), without any
    /// expansion and without running a shell.
    /// </summary>
    /// <exception cref="FormatException">The line is blank or has an unbalanced quote.</exception>
    public static Command Parse(string commandLine)
    {
        var words = ShellWords.Split(commandLine);
        return new Command(words[0], words.Skip(1).ToArray());
    }

    /// <summary>The command line, quoted so that <see cref="Parse"/> gives the same command back.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(ShellWords.Quote(Executable));
        foreach (var a in Arguments) sb.Append(' ').Append(ShellWords.Quote(a));
        return sb.ToString();
    }
}
