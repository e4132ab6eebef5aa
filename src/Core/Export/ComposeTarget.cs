namespace Tend.Export;

/// <summary>Which tool reads an exported Compose file.</summary>
internal enum ComposeTarget
{
    /// <summary>Docker Compose (v2, or docker-compose 1.29): <c>depends_on</c> with conditions, <c>restart</c>, ports on
    /// 127.0.0.1.</summary>
    Compose,

    /// <summary>
    /// <c>docker stack deploy</c> on Docker Swarm, whose loader refuses <c>depends_on</c> with conditions and ignores
    /// <c>restart</c>: a <c>deploy</c> section per service, and dependents that wait inside their container.
    /// </summary>
    Swarm,
}
