namespace Tend.Logging;

/// <summary>The descriptor a line of a service's output was written to.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711",
    Justification = "stdout and stderr are streams: the field's own word (Docker, Pebble, Kubernetes say 'stream').")]
internal enum LogStream : byte
{
    /// <summary>Its stdout (descriptor 1).</summary>
    Stdout = 1,
    /// <summary>Its stderr (descriptor 2).</summary>
    Stderr = 2,
}
