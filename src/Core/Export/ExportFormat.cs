namespace Tend.Export;

/// <summary>What export writes.</summary>
internal enum ExportFormat
{
    /// <summary>A Docker Compose file.</summary>
    Compose,
    /// <summary>Kubernetes manifests.</summary>
    Kubernetes,
}
