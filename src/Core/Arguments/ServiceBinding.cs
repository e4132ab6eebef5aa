using System.ComponentModel;

namespace Tend.Arguments;

/// <summary>Marks the constructor the generator adds to each service class, so it never clashes with one of the user's.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ServiceBinding;
