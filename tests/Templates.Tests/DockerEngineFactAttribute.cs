namespace Tend.Templates.Tests;

/// <summary>
/// A fact that needs a real Docker engine (Swarm mode is Docker's): skipped, saying why, only when there is none
/// (<c>scripts/container-engine.sh</c> starts one; CI has it).
/// </summary>
public sealed class DockerEngineFactAttribute : FactAttribute
{
    public DockerEngineFactAttribute()
    {
        if (!SwarmStackTests.HasDockerEngine)
            Skip = "needs a Docker engine (Swarm mode is Docker's, not podman's): bash scripts/container-engine.sh starts one";
    }
}
