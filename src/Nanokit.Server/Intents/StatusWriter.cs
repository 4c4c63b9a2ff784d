using Akka.Actor;
using Microsoft.Extensions.Logging;
using Nanokit.Reconciler;

namespace Nanokit.Server.Intents;

/// <summary>
/// Writes the status of the projects this node owns to <c>nanokit_status</c> as their runs start and end, so that any
/// node answers reads from the store and no read calls a provider or an entity. One actor per node: reports are
/// written one at a time in the order the runs published them (ReceiveAsync holds the mailbox, not a thread).
/// </summary>
internal sealed class StatusWriter : ReceiveActor
{
    public StatusWriter(IntentStore store, string owner, ILogger logger)
    {
        ReceiveAsync<RunStarted>(m => WriteAsync(store, logger, new StatusReport(m.Project, m.Generation, 0, "Reconciling", [], owner)));
        ReceiveAsync<RunCompleted>(m => WriteAsync(store, logger, new StatusReport(
            m.Project,
            m.Generation,
            m.Result.Succeeded ? m.Generation : 0,
            m.Result.Succeeded ? "Converged" : "Failed",
            [.. m.Result.Failures.Select(f => $"{f.Service}: {f.Reason}")],
            owner)));
    }

    public static Props Props(IntentStore store, string owner, ILogger logger) =>
        Akka.Actor.Props.Create(() => new StatusWriter(store, owner, logger));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(RunStarted));
        Context.System.EventStream.Subscribe(Self, typeof(RunCompleted));
    }

    private static async Task WriteAsync(IntentStore store, ILogger logger, StatusReport report)
    {
        try
        {
            await store.ReportAsync(report, CancellationToken.None).ConfigureAwait(true);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            // The next run's report, or the owner's next start, writes it again; the intent itself is safe.
            logger.StatusNotRecorded(report.Project, e.Message);
        }
    }
}
