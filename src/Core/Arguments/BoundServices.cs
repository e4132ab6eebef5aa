namespace Tend.Arguments;

/// <summary>
/// What the generated binder produced: the arguments left for Tend itself, and the selected declared services with
/// their options bound. The services are built (their <c>Command</c> and <c>Ready</c> evaluated) the first time
/// <see cref="Services"/> is read, and only then: <c>--help</c> and <c>--version</c> never run a service's code.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class BoundServices
{
    private readonly Func<IReadOnlyList<ServiceSpec>> _build;
    private IReadOnlyList<ServiceSpec>? _services;

    /// <summary>Services built on first use by <paramref name="build"/>, which reports a failure as a
    /// <see cref="UsageException"/>.</summary>
    public BoundServices(Func<IReadOnlyList<ServiceSpec>> build, string[] rest)
    {
        _build = build;
        Rest = rest;
    }

    /// <summary>Services already built.</summary>
    public BoundServices(IReadOnlyList<ServiceSpec> services, string[] rest) : this(() => services, rest) { }

    /// <summary>Tend's own options and ad-hoc command lines, in their original order.</summary>
    public string[] Rest { get; }

    /// <summary>The selected declared services, ready to run: built once, when first read.</summary>
    /// <exception cref="UsageException">A required option is missing, or a service's own code threw while it was built.</exception>
    public IReadOnlyList<ServiceSpec> Services => _services ??= _build();
}
