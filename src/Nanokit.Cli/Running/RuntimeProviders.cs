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

    /// <summary>The provider, or null after writing why it is unavailable to stderr.</summary>
    public static IRuntimeProvider? ForOrReport(ProjectSpec spec, CliContext context)
    {
        try
        {
            return For(spec);
        }
        catch (RuntimeUnavailableException e)
        {
            context.Error.WriteLine(e.Message);
            return null;
        }
    }
}

internal sealed class RuntimeUnavailableException(string message) : Exception(message);
