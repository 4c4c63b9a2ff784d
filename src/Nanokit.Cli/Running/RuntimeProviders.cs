using Nanokit.Core.Model;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>The provider a project's <c>runtime:</c> names.</summary>
internal static class RuntimeProviders
{
    public static IRuntimeProvider For(ProjectSpec spec) => spec.Runtime switch
    {
        RuntimeKind.Local => new LocalRuntime(),
        _ => throw new RuntimeUnavailableException(
            $"{spec.Name}: runtime \"{spec.Runtime.ToString().ToLowerInvariant()}\" is not available in this build yet; use runtime: local"),
    };
}

internal sealed class RuntimeUnavailableException(string message) : Exception(message);
