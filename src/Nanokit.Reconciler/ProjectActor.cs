using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler;

/// <summary>
/// One project (persistent): its intent by generation, the run converging it, and the status derived from
/// both. Accepting a spec persists <see cref="GenerationAccepted"/> before replying, so an acknowledged intent
/// survives a crash; after recovery (from the latest <see cref="ProjectSnapshot"/> and the events after it) a
/// generation not yet converged is resumed. Each run is a <see cref="ProjectSupervisor"/> child; a newer
/// generation stops the older run before starting its own.
/// The actor also routes <see cref="ExecuteService"/> to its service actors, creating them on first use.
/// </summary>
internal sealed partial class ProjectActor : ReconcilerEntity, IWithTimers
{
    private readonly string name;
    private readonly string directory;
    private readonly IRuntimeProvider provider;
    private readonly ReconcilerSettings settings;
    private readonly List<IActorRef> driftWaiters = [];
    private long generation;
    private GenerationAccepted? intent;
    private long observedGeneration;
    private RunRecorded? lastRun;
    private DriftObserved? lastDrift;
    private IActorRef? supervisor;
    private RunRequest? running;
    private DriftCheckMode? queuedDriftCheck;

    // The last drift tick that came while a run was in flight, handled (with the heal backoff) when the run ends.
    private DriftTick? tickDuringRun;

    // Whether the running drift check has sent its report: after that, waiters belong to the next check.
    private bool driftReported;
    private int failedRuns;
    private int consecutiveHeals;

    // Whether the drift timer's change stream is open, and whether the runtime must be looked at once it is (a run
    // started before it opened, or this incarnation recovered: see StreamOpened).
    private bool streamOpen;
    private bool lookWhenStreamOpens;

    private DateTimeOffset lastHeal;

    // When the drift check in flight started (Stopwatch ticks); once one finds something to heal, when that one started:
    // the heal latency counts from it to the end of the next run that succeeds (a failed heal's retries included).
    private long checkStartedAt;
    private long? healStartedAt;

    private IActorRef? driftTimer;
    private TimeSpan? driftInterval;
    private int driftTimers;

    public ProjectActor(string name, string directory, IRuntimeProvider provider, ReconcilerSettings settings)
        : base(name)
    {
        this.name = name;
        this.directory = directory;
        this.provider = provider;
        this.settings = settings;
        Recover<SnapshotOffer>(Apply);
        Recover<GenerationAccepted>(Apply);
        Recover<RunRecorded>(Apply);
        Recover<ReplicaRestartsCounted>(Apply);
        Recover<RecoveryCompleted>(_ => AfterRecovery());
        Command<ApplySpec>(ApplyUp);
        Command<StopServices>(m => ChangeRunState(m.Services, stop: true, restart: false, m.StopTimeout));
        Command<StartServices>(m => ChangeRunState(m.Services, stop: false, restart: false, null));
        Command<RestartServices>(m => ChangeRunState(m.Services, stop: false, restart: true, m.StopTimeout));
        Command<DestroyProject>(m => Destroy(m.StopTimeout));
        Command<ApplyIntent>(m =>
        {
            if (m.Generation <= generation)
            {
                Sender.Tell(new SpecAccepted(name, generation), Self);
                return;
            }

            Accept(new GenerationAccepted(m.Generation, m.Spec, [], m.Spec is null ? true : null, DateTimeOffset.UtcNow) { StopTimeout = m.StopTimeout, Stopped = m.Stopped, Restart = m.Restart }, null);
        });
        Command<ExecuteService>(CountThenRoute);
        Command<RunFinished>(Finished, _ => Sender.Equals(supervisor));
        Command<DriftObserved>(Drifted, _ => Sender.Equals(supervisor));
        Command<DriftTick>(Tick);
        Command<ChangeStreamOpened>(_ => StreamOpened(), _ => Sender.Equals(driftTimer));
        Command<CheckDrift>(m =>
        {
            driftWaiters.Add(Sender);
            CheckDrift(new DriftCheckMode(m.Heal));
        });
        Command<RetryRun>(_ => StartRun(RunTrigger.Retry, null));
        Command<Terminated>(Lost);
        Command<SupervisorLost>(
            _ => Finished(new RunFinished(running!.Generation, running.Trigger, new RunResult(false, [new ServiceFailure("*", "the run stopped unexpectedly")], TimeSpan.Zero))),
            m => m.Supervisor.Equals(supervisor));
        Command<GetProjectStatus>(_ => Sender.Tell(new CurrentProjectStatus(Status())));
        Command<SaveSnapshotSuccess>(Compact);
        Command<SaveSnapshotFailure>(m => Log.Warning(m.Cause, "Project {0} could not save its snapshot at {1}; the events stay and the next interval tries again", name, m.Metadata.SequenceNr));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(m => Log.Warning(m.Cause, "Project {0} could not delete its journal up to its snapshot at {1}; the events stay until the next snapshot", name, m.ToSequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(m => Log.Warning(m.Cause, "Project {0} could not delete its snapshots older than {1}; they stay until the next snapshot", name, m.Criteria.MaxSequenceNr + 1));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => $"project|{name}";

    public static Props Props(string name, string directory, IRuntimeProvider provider, ReconcilerSettings settings) =>
        Akka.Actor.Props.Create(() => new ProjectActor(name, directory, provider, settings));

    private ProjectRef Ref => new(name, directory);

    /// <summary>
    /// <c>up</c>: the spec, with the services it names (and their dependencies; all when none) no longer kept stopped,
    /// as Compose's <c>up</c> starts what <c>stop</c> stopped.
    /// </summary>
    private void ApplyUp(ApplySpec command)
    {
        var stopped = ImmutableArray<string>.Empty;
        if (intent is { Stopped.IsEmpty: false } && !command.Options.Services.IsDefaultOrEmpty)
        {
            var scope = command.Options.NoDeps
                ? command.Options.Services.ToHashSet(StringComparer.Ordinal)
                : GraphEngine.Build(command.Spec).Subgraph(command.Options.Services).Services.ToHashSet(StringComparer.Ordinal);
            stopped = [.. intent.Stopped.Where(s => command.Spec.Services.ContainsKey(s) && !scope.Contains(s))];
        }

        var wanted = new GenerationAccepted(generation + 1, command.Spec, command.Options.Services, command.Options.RemoveOrphans, DateTimeOffset.UtcNow) { Stopped = stopped, NoDeps = command.Options.NoDeps };
        AcceptUnlessUnchanged(wanted, command.ExpectedObserved);
    }

    /// <summary><c>stop</c>, <c>start</c>, <c>restart</c>: the accepted spec, with other services kept stopped (or restarted).</summary>
    private void ChangeRunState(ImmutableArray<string> named, bool stop, bool restart, TimeSpan? stopTimeout)
    {
        if (intent?.Spec is not { } spec)
        {
            Sender.Tell(new IntentRefused(name, "nothing is applied: run `nkapp up` first"), Self);
            return;
        }

        if (named.FirstOrDefault(s => !spec.Services.ContainsKey(s)) is { } unknown)
        {
            Sender.Tell(new IntentRefused(name, $"no such service in generation {generation}: {unknown}"), Self);
            return;
        }

        var services = named.IsDefaultOrEmpty ? [.. spec.Services.Keys] : named;
        var stopped = stop ? intent.Stopped.Union(services) : intent.Stopped.Except(services);
        var wanted = intent with
        {
            Generation = generation + 1,
            Stopped = [.. stopped.Order(StringComparer.Ordinal)],
            Restart = restart ? [.. services.Order(StringComparer.Ordinal)] : [],
            StopTimeout = stopTimeout,
            At = DateTimeOffset.UtcNow,
        };
        AcceptUnlessUnchanged(wanted, null);
    }

    /// <summary>
    /// A desired state equal to the accepted intent is no new generation (Kubernetes bumps <c>metadata.generation</c> only
    /// when the spec changes): while a run of the current generation is in flight (one resumed after a crash, say) the
    /// caller joins it instead of superseding it, which would cancel its hooks halfway; when the last run converged, the
    /// same generation is run again, which observes and repairs whatever moved by hand. After a failed run it is a new
    /// generation: the user's fresh attempt, recorded as such. A restart always acts, so it is always new.
    /// </summary>
    private void AcceptUnlessUnchanged(GenerationAccepted wanted, string? expectedObserved)
    {
        if (intent?.Spec is not null && wanted.Spec is not null && wanted.Restart.IsEmpty && DesiredHash(wanted) == DesiredHash(intent))
        {
            if (running is { Drift: null } && running.Generation == generation && expectedObserved is null)
            {
                Sender.Tell(new SpecAccepted(name, generation) { Unchanged = true }, Self);
                return;
            }

            if (observedGeneration == generation && lastRun is { Succeeded: true })
            {
                Sender.Tell(new SpecAccepted(name, generation) { Unchanged = true }, Self);
                StartRun(RunTrigger.Reapply, null, expectedObserved);
                return;
            }
        }

        Accept(wanted with { Generation = generation + 1 }, expectedObserved);
    }

    /// <summary>
    /// <c>down</c>: a project already down (its last generation desired nothing and that run succeeded) gets no new
    /// generation, as an unchanged <c>up</c> gets none; the same generation is run again, which removes whatever was
    /// started by hand since, and usually finds nothing to do. A down still in flight is joined.
    /// </summary>
    private void Destroy(TimeSpan? stopTimeout)
    {
        if (intent is { Spec: null } && running is { Drift: null } && running.Generation == generation)
        {
            Sender.Tell(new SpecAccepted(name, generation) { Unchanged = true }, Self);
            return;
        }

        if (intent is { Spec: null } && observedGeneration == generation && lastRun is { Succeeded: true })
        {
            Sender.Tell(new SpecAccepted(name, generation) { Unchanged = true }, Self);
            StartRun(RunTrigger.Reapply, null);
            return;
        }

        Accept(new GenerationAccepted(generation + 1, null, [], true, DateTimeOffset.UtcNow) { StopTimeout = stopTimeout }, null);
    }

    private static string DesiredHash(GenerationAccepted e) =>
        DesiredStateHash.Compute(e.Spec!, new PlanOptions { Services = e.Services, RemoveOrphans = e.RemoveOrphans, NoDeps = e.NoDeps }, e.Stopped);

    /// <param name="expectedObserved">See <see cref="ApplySpec.ExpectedObserved"/>; checked by this generation's first run only.</param>
    private void Accept(GenerationAccepted accepted, string? expectedObserved)
    {
        Persist(accepted, e =>
        {
            Apply(e);
            SnapshotIfDue();
            Context.System.EventStream.Publish(new IntentAccepted(name, e));
            Sender.Tell(new SpecAccepted(name, e.Generation), Self);
            failedRuns = 0;
            Timers.Cancel(RetryRun.Instance);
            StartRun(RunTrigger.Spec, null, expectedObserved);
            UpdateDriftTimer();
        });
    }

    private void Apply(GenerationAccepted e)
    {
        generation = e.Generation;
        intent = e;
        lastDrift = null;
        ForgetRestartsOfRemovedServices(e.Spec);
    }

    private void Apply(RunRecorded e)
    {
        lastRun = e;
        if (e.Succeeded && e.Generation > observedGeneration)
        {
            observedGeneration = e.Generation;
        }
    }

    /// <summary>
    /// A generation not yet converged is resumed. Otherwise the journal cannot say whether a heal or a re-apply of the
    /// previous incarnation was cut short (they persist only their end), nor what moved while no incarnation watched
    /// (the owner died, the shard moved): with the drift timer on, the runtime is looked at as soon as its change
    /// stream is open, and what differs is healed (or reported) as on any drift tick. Either way the recovered status
    /// is announced first, so a reader left with an interrupted run's start does not show it as still running.
    /// </summary>
    private void AfterRecovery()
    {
        if (intent is not null)
        {
            Context.System.EventStream.Publish(new IntentAccepted(name, intent));
            Context.System.EventStream.Publish(new RestartsCounted(name, RestartCounts));
            Context.System.EventStream.Publish(new ProjectRecovered(name, Status()));
        }

        if (settings.ResumeOnRecovery && intent is not null && observedGeneration < generation)
        {
            StartRun(RunTrigger.Resume, null);
        }
        else if (intent is not null)
        {
            lookWhenStreamOpens = true;
        }

        UpdateDriftTimer();
    }

    private void StartRun(RunTrigger trigger, DriftCheckMode? drift, string? expectedObserved = null)
    {
        if (intent is null)
        {
            return;
        }

        ImmutableArray<IActorRef> busy = [];
        if (supervisor is not null)
        {
            busy = [.. Context.GetChildren().Where(c => c.Path.Name.StartsWith("service-", StringComparison.Ordinal))];
            if (running?.Drift is { } interrupted && drift is null)
            {
                // The check this run replaces still owes its callers an answer: run it after.
                queuedDriftCheck = queuedDriftCheck is null ? interrupted : new DriftCheckMode(queuedDriftCheck.Heal || interrupted.Heal);
            }

            Context.Unwatch(supervisor);
            Context.Stop(supervisor);
        }

        var desired = intent.Spec ?? Empty();
        var options = new PlanOptions
        {
            Services = intent.Services,
            RemoveOrphans = intent.Spec is null ? true : intent.RemoveOrphans,
            Stopped = intent.Stopped,
            NoDeps = intent.NoDeps,
            RestartCounts = RestartCounts,

            // A restart belongs to the run of its generation (or its resumption or retry), never to a drift heal or a re-check.
            Restart = trigger is RunTrigger.Spec or RunTrigger.Resume or RunTrigger.Retry ? intent.Restart : [],
        };
        lookWhenStreamOpens |= !streamOpen;
        checkStartedAt = Stopwatch.GetTimestamp();
        if (trigger == RunTrigger.Spec)
        {
            // A new generation is no heal: what it does is measured as a run.
            healStartedAt = null;
        }
        running = new RunRequest(generation, trigger, desired, options, drift) { SettleFirst = busy, ExpectedObserved = expectedObserved, StopTimeout = intent.StopTimeout };
        driftReported = false;
        supervisor = Context.Watch(Context.ActorOf(ProjectSupervisor.Props(running, Ref, provider, Self)));
    }

    private ProjectSpec Empty() =>
        new(name, RuntimeKind.Local, DriftSettings.Default, ImmutableSortedDictionary<string, ServiceSpec>.Empty, directory);

    private void Route(ExecuteService command)
    {
        var childName = "service-" + command.Service;
        IActorRef child;
        try
        {
            child = Context.Child(childName) is { } existing && !existing.IsNobody()
                ? existing
                : Context.Watch(Context.ActorOf(ServiceActor.Props(name, command.Service, provider, settings.ActionRetry), childName));
        }
        catch (InvalidActorNameException)
        {
            // The service's actor has stopped (a journal failure) and its name is free only once its Terminated is handled.
            Sender.Tell(new ServiceFailed(command.Generation, command.Service, "the service actor stopped (journal failure); it recovers on the next run"), Self);
            return;
        }

        child.Forward(command);
    }

    private void Finished(RunFinished message)
    {
        var request = running!;
        Context.Unwatch(supervisor!);
        supervisor = null;
        running = null;
        var recorded = new RunRecorded(message.Generation, message.Trigger, message.Result.Succeeded, message.Result.Failures, DateTimeOffset.UtcNow);
        Persist(recorded, e =>
        {
            Apply(e);
            SnapshotIfDue();
            if (request.Drift is not null)
            {
                lastDrift = null;
            }

            if (request.Drift is not null && !e.Succeeded && !driftReported)
            {
                // A check that could not observe never sent its plan: its waiters still need an answer.
                // (A heal that fails after its report does not answer: those waiting now asked for the next check.)
                AnswerDriftWaiters(new DriftReport(name, new ServicePlan(name, []), false, string.Join("; ", e.Failures.Select(f => f.Reason))));
            }

            Context.System.EventStream.Publish(new RunCompleted(name, message.Generation, message.Trigger, message.Result));
            Measure(request.Trigger, e.Succeeded);
            if (request.Drift is null || request.Drift.Heal)
            {
                // A report-only check that failed must not turn into a full run (which would heal).
                ScheduleRetry(e.Succeeded);
            }

            RunQueuedDriftCheck();
        });
    }

    private void Measure(RunTrigger trigger, bool succeeded)
    {
        if (!succeeded)
        {
            ReconcilerTelemetry.RunFailures.Add(1, new KeyValuePair<string, object?>("trigger", trigger.ToString()));
        }

        if (succeeded && healStartedAt is { } started)
        {
            ReconcilerTelemetry.HealDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            healStartedAt = null;
        }
    }

    private void ScheduleRetry(bool succeeded)
    {
        failedRuns = succeeded ? 0 : failedRuns + 1;
        if (!succeeded && settings.RetryFailedRuns)
        {
            Timers.StartSingleTimer(RetryRun.Instance, RetryRun.Instance, settings.RunRetry.DelayAfter(failedRuns, Random.Shared));
        }
    }

    private void Lost(Terminated terminated)
    {
        if (terminated.ActorRef.Equals(supervisor))
        {
            // The run's last message may still be queued behind this notification: decide after it.
            Self.Tell(new SupervisorLost(terminated.ActorRef), Self);
        }
        else if (running is not null && terminated.ActorRef.Path.Name.StartsWith("service-", StringComparison.Ordinal))
        {
            supervisor?.Tell(new ServiceFailed(running.Generation, terminated.ActorRef.Path.Name["service-".Length..], "the service actor stopped (journal failure); it recovers on the next run"), Self);
        }
    }

    private sealed record RetryRun
    {
        public static readonly RetryRun Instance = new();
    }

    private sealed record SupervisorLost(IActorRef Supervisor);
}
