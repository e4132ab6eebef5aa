namespace Tend.Posix;

/// <summary>What <see cref="BootState.ClearPreviousBoot()"/> did: for the caller to log, one line each.</summary>
/// <param name="Removed">The files removed, by path (the previous boot's pid files, lock files and @reboot markers).</param>
/// <param name="Problems">What could not be read or removed, one English sentence each (never fatal).</param>
internal sealed record BootCleanup(IReadOnlyList<string> Removed, IReadOnlyList<string> Problems);
