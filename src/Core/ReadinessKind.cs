namespace Tend;

/// <summary>The kinds of readiness check.</summary>
public enum ReadinessKind
{
    /// <summary>A TCP port accepts a connection.</summary>
    Tcp,
    /// <summary>A file (or directory, or socket) exists.</summary>
    File,
    /// <summary>A command exits with code 0.</summary>
    Command,
}
