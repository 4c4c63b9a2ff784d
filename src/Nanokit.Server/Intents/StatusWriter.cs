using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Nanokit.Reconciler;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Events;

namespace Nanokit.Server.Intents;

/// <summary>
/// Records what the projects this node owns do: their status in <c>nanokit_status</c> as runs start and end and as a
/// project recovers here, and every run event in their event log (<see cref="EventLog"/>), so that any node answers
/// reads and watches from the store and none calls a provider or an entity. One actor per node. What arrives while a write is in flight is
/// buffered and written together next (one transaction, one round trip), so a busy node writes in batches and a
/// quiet one at once. The buffer is bounded: past <c>max-buffered</c> (a store that is down), progress events are
/// dropped (counted in the log) while status reports and run starts/ends are kept; a failed write is retried after
/// the reconnect delay.
/// </summary>
internal sealed class StatusWriter : ReceiveActor, IWithTimers
{
    private readonly EventLog log;
    private readonly string owner;
    private readonly int maxBuffered;
    private readonly TimeSpan retryDelay;
    private readonly ILogger logger;
    private readonly Dictionary<string, long> accepted = new(StringComparer.Ordinal);
    private List<StatusReport> reports = [];
    private List<ProjectEvent> events = [];
    private bool writing;
    private int dropped;

    public StatusWriter(EventLog log, string owner, int maxBuffered, TimeSpan retryDelay, ILogger logger)
    {
        this.log = log;
        this.owner = owner;
        this.maxBuffered = maxBuffered;
        this.retryDelay = retryDelay;
        this.logger = logger;
        Receive<Reconciler.RunStarted>(m =>
        {
            accepted[m.Project] = m.Generation;
            Buffer(new StatusReport(m.Project, m.Generation, 0, "Reconciling", [], owner), ProjectEvents.From(m, owner));
        });
        Receive<Reconciler.ServiceProgress>(m => Buffer(null, ProjectEvents.From(m, owner)));
        Receive<Reconciler.RunCompleted>(m => Buffer(
            new StatusReport(
                m.Project,
                m.Generation,
                m.Result.Succeeded ? m.Generation : 0,
                m.Result.Succeeded ? "Converged" : "Failed",
                [.. m.Result.Failures.Select(f => $"{f.Service}: {f.Reason}")],
                owner),
            ProjectEvents.From(m, owner)));
        Receive<DriftReport>(m => Buffer(null, ProjectEvents.From(m, accepted.GetValueOrDefault(m.Project), owner)));
        Receive<ProjectRecovered>(m =>
        {
            // The previous owner's run may have been cut short after its start was recorded: the journal's word replaces it.
            accepted[m.Project] = m.Status.Generation;
            var phase = !m.Status.Failures.IsEmpty ? "Failed" : m.Status.ObservedGeneration >= m.Status.Generation ? "Converged" : "Pending";
            reports.Add(new StatusReport(m.Project, m.Status.Generation, m.Status.ObservedGeneration, phase, [.. m.Status.Failures.Select(f => $"{f.Service}: {f.Reason}")], owner));
            if (!Timers.IsTimerActive(Retry.Instance))
            {
                Write();
            }
        });
        Receive<Written>(_ =>
        {
            writing = false;
            Write();
        });
        Receive<WriteFailed>(m =>
        {
            writing = false;
            logger.StatusNotRecorded(m.Reports.Count + m.Events.Count, m.Reason, retryDelay);
            reports.InsertRange(0, m.Reports);
            events.InsertRange(0, m.Events);
            Timers.StartSingleTimer(Retry.Instance, Retry.Instance, retryDelay);
        });
        Receive<Retry>(_ => Write());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(EventLog log, string owner, int maxBuffered, TimeSpan retryDelay, ILogger logger) =>
        Akka.Actor.Props.Create(() => new StatusWriter(log, owner, maxBuffered, retryDelay, logger));

    protected override void PreStart()
    {
        foreach (var type in new[] { typeof(Reconciler.RunStarted), typeof(Reconciler.ServiceProgress), typeof(Reconciler.RunCompleted), typeof(DriftReport), typeof(ProjectRecovered) })
        {
            Context.System.EventStream.Subscribe(Self, type);
        }
    }

    private void Buffer(StatusReport? report, ProjectEvent e)
    {
        if (report is not null)
        {
            reports.Add(report);
        }

        if (e.EventCase == ProjectEvent.EventOneofCase.ServiceProgress && events.Count >= maxBuffered)
        {
            dropped++;
        }
        else
        {
            events.Add(e);
        }

        if (!Timers.IsTimerActive(Retry.Instance))
        {
            Write();
        }
    }

    private void Write()
    {
        if (writing || (reports.Count == 0 && events.Count == 0))
        {
            return;
        }

        if (dropped > 0)
        {
            logger.ProgressDropped(dropped, maxBuffered);
            dropped = 0;
        }

        var (batchReports, batchEvents) = (reports, events);
        (reports, events) = ([], []);
        writing = true;
        // The write runs off the actor; its outcome comes back as a message, so the mailbox keeps buffering meanwhile.
        log.WriteAsync(batchReports, batchEvents, CancellationToken.None).PipeTo(
            Self,
            success: () => Written.Instance,
            failure: e => new WriteFailed(batchReports, batchEvents, e.GetBaseException().Message));
    }

    private sealed record Written
    {
        public static readonly Written Instance = new();
    }

    private sealed record WriteFailed(IReadOnlyList<StatusReport> Reports, IReadOnlyList<ProjectEvent> Events, string Reason);

    private sealed record Retry
    {
        public static readonly Retry Instance = new();
    }
}
