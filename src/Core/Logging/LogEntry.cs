namespace Tend.Logging;

/// <summary>One line of a service's output, as kept in its <see cref="LogRing"/>.</summary>
/// <param name="Service">The service's index in the table.</param>
/// <param name="Sequence">Its place among every service's lines (1, 2, …): the order they were read in.</param>
/// <param name="TimeMs">When it was read, in ms since the Unix epoch (UTC).</param>
/// <param name="Stream">Stdout or stderr.</param>
/// <param name="Run">The run of the service that wrote it (1 for the first run, as <c>tend status</c> counts starts).</param>
/// <param name="Text">Its bytes, without the newline (as the service wrote them: not necessarily UTF-8).</param>
internal readonly record struct LogEntry(int Service, long Sequence, long TimeMs, LogStream Stream, int Run, byte[] Text)
{
    /// <summary>What one entry costs in a ring besides its text, in bytes (its header: sequence, time, run, stream and length).</summary>
    public const int Overhead = 24;
}
