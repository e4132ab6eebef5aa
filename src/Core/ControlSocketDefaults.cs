namespace Tend;

/// <summary>
/// Where the control socket is when nothing says otherwise, written once for Tend, its client and their help texts
/// (Control/ControlSocketPaths.cs has the places other users take; docs/control.md).
/// </summary>
internal static class ControlSocketDefaults
{
    /// <summary>Root's socket path.</summary>
    public const string Path = "/run/tend/control.sock";

    /// <summary>The environment variable that names the socket, for Tend and its client.</summary>
    public const string Variable = "TEND_CONTROL_SOCKET";

    /// <summary>The socket's file name inside each candidate directory.</summary>
    public const string FileName = "control.sock";
}
