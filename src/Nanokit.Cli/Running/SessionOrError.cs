using Nanokit.Core.Model;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>Starts a <see cref="RunSession"/>, turning the expected refusals (runtime unavailable, project locked) into one line on stderr.</summary>
internal static class SessionOrError
{
    public static async Task<RunSession?> StartAsync(ProjectSpec spec, ReconcilerSettings settings, string command, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await RunSession.StartAsync(spec, settings, command, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeUnavailableException or ProjectLockedException or UnsafeStateDirectoryException)
        {
            context.Error.WriteLine(e.Message);
            return null;
        }
    }
}
