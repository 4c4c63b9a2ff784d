using System.Collections.Immutable;

namespace Nanokit.Core.Graph;

/// <summary>Thrown when a command names services the project does not define (<c>up nosuch</c>).</summary>
public sealed class UnknownServiceException : Exception
{
    public UnknownServiceException(ImmutableArray<string> services)
        : base("no such service: " + string.Join(", ", services))
    {
        Services = services;
    }

    /// <summary>The unknown names, sorted ordinally.</summary>
    public ImmutableArray<string> Services { get; }
}
