namespace Tend.Arguments;

/// <summary>Bad command-line input: Tend prints the message and exits with code 2, having started nothing.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class UsageException(string message) : Exception(message);
