namespace Tend.Posix;

/// <summary>
/// Where a run's stdout and stderr go when they are not Tend's own: a pair of pipes per run (the log buffer,
/// <c>--log-prefix</c>: Logging's LogPump relays them). Declared here so the spawner needs nothing of the layer that
/// reads them.
/// </summary>
internal interface IRunPipes
{
    /// <summary>
    /// Pipes for run <paramref name="run"/> of service <paramref name="service"/>: their write ends, close-on-exec; (-1, -1)
    /// when that service writes where Tend writes.
    /// </summary>
    /// <exception cref="Libc.Failure">No pipe could be made (EMFILE or ENFILE).</exception>
    (int Out, int Err) OpenRun(int service, int run);
}
