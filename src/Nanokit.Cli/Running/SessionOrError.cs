using Nanokit.Core.Model;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>Starts a <see cref="RunSession"/>, turning the expected refusals (runtime unavailable, project locked, unusable state) into one line on stderr.</summary>
internal static class SessionOrError
{
    /// <param name="withoutState">
    /// Whether the command can do its job when the state file cannot be used (<c>down</c>: what runs is found by the
    /// runtime's own labels and records). It then warns and runs on an in-memory store, leaving the file as it is.
    /// </param>
    public static async Task<RunSession?> StartAsync(
        ProjectSpec spec, ReconcilerSettings settings, string command, CliContext context, CancellationToken cancellationToken, bool withoutState = false, RememberedEnvironment? environment = null)
    {
        try
        {
            return await RunSession.StartAsync(spec, settings, command, StateStore.Selected(context.Environment), context, cancellationToken, environment).ConfigureAwait(false);
        }
        catch (StateStoreException e) when (withoutState)
        {
            context.Error.WriteLine($"warning: {e.Message}");
            context.Error.WriteLine($"{command}: going on without the state file, from what the runtime reports");
            return await OrErrorAsync(() => RunSession.StartAsync(spec, settings, command, StateStore.InMemory.Instance, context, cancellationToken), context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeUnavailableException or ProjectLockedException or StateStoreException or UnsafeStateDirectoryException)
        {
            context.Error.WriteLine(e.Message);
            return null;
        }
    }

    private static async Task<RunSession?> OrErrorAsync(Func<Task<RunSession>> start, CliContext context)
    {
        try
        {
            return await start().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeUnavailableException or ProjectLockedException or StateStoreException or UnsafeStateDirectoryException)
        {
            context.Error.WriteLine(e.Message);
            return null;
        }
    }
}
