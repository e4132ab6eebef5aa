namespace Tend.Arguments;

/// <summary>What the generated binder produced: the declared services with their options bound, and the arguments left for Tend itself.</summary>
/// <param name="Services">The selected declared services, ready to run.</param>
/// <param name="Rest">Tend's own options and ad-hoc command lines, in their original order.</param>
public sealed record BoundServices(IReadOnlyList<ServiceSpec> Services, string[] Rest);
