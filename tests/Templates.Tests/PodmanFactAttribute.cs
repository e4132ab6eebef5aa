namespace Tend.Templates.Tests;

/// <summary>A fact that needs podman (its <c>kube play</c>): skipped, saying why, only when there is none.</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    /// <summary>Whether podman answers.</summary>
    public static readonly bool HasPodman = Shell.Try("/", "sh", "-c",
        "command -v podman >/dev/null && timeout 20 podman version").Code == 0;

    public PodmanFactAttribute()
    {
        if (!HasPodman) Skip = "needs podman (4.3 or later) for podman kube play: apt-get install podman";
    }
}
