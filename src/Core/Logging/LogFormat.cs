namespace Tend.Logging;

/// <summary>How Tend writes its own lines.</summary>
internal enum LogFormat
{
    /// <summary><c>tend: sshd: started (pid 42)</c></summary>
    Text,
    /// <summary>One JSON object per line, for log shippers.</summary>
    Json,
}
