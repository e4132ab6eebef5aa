namespace Tend;

/// <summary>How a process ended.</summary>
internal readonly record struct ExitStatus(int Code, int Signal, bool Unknown = false)
{
    /// <summary>Exited with code 0.</summary>
    public bool Success => !Unknown && Signal == 0 && Code == 0;

    /// <summary>Exited normally with <paramref name="code"/>.</summary>
    public static ExitStatus Exited(int code) => new(code, 0);

    /// <summary>Killed by <paramref name="signal"/>.</summary>
    public static ExitStatus Killed(int signal) => new(0, signal);

    /// <summary>The code a shell reports for it (128+N for signal N), 0 when unknown: what Tend hands on when a critical service fails for
    /// good.</summary>
    public int ShellCode => Unknown ? 0 : Signal != 0 ? Signals.ShellCodeBase + Signal : Code;

    /// <summary>The signal a shell code stands for (129–192), or 0 for a code of a process that exited.</summary>
    internal static int SignalOf(int shellCode) =>
        shellCode is > Signals.ShellCodeBase and <= Signals.ShellCodeBase + 64 ? shellCode - Signals.ShellCodeBase : 0;

    /// <summary>A process that was not Tend's child disappeared; its status cannot be known.</summary>
    public static ExitStatus Vanished => new(0, 0, Unknown: true);

    /// <inheritdoc/>
    public override string ToString() =>
        Unknown ? "an unknown status (not Tend's child)" : Signal != 0 ? $"signal {Signals.Name(Signal)}" : $"exit code {Code}";
}
