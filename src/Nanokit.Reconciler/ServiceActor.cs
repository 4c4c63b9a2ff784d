using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler;

/// <summary>
/// One service of one project (persistent). Carries out the service's actions of a run through the runtime
/// provider — prestop and deletions; prestart, create/recreate/start, the readiness its dependents need,
/// poststart — retrying each provider call with backoff, and records how each run ended as an event.
/// One run's work at a time: while the work runs off the actor thread (piped back as <see cref="ExecutionEnded"/>),
/// further commands are stashed, so the mailbox stays the queue and the dispatcher thread is never blocked.
/// A cancelled run (superseded generation) ends the work at the next provider call.
/// Every failure has a reason that names the step and the replica (the runtime's own message does; anything else is
/// named by its type), recorded in the service's events and progress, and logged with its exception, as is each retry.
/// </summary>
internal sealed class ServiceActor : ReconcilerEntity
{
    private readonly string project;
    private readonly string service;
    private readonly IRuntimeProvider provider;
    private readonly RetryPolicy retry;

    // Captured on the actor's thread: the work logs its retries from provider continuations.
    private readonly ILoggingAdapter log;
    private string? lastFailure;
    private long trimmedTo;

    public ServiceActor(string project, string service, IRuntimeProvider provider, RetryPolicy retry)
        : base(project)
    {
        this.project = project;
        this.service = service;
        this.provider = provider;
        this.retry = retry;
        log = Context.GetLogger();

        // A service never saves a snapshot (it trims its journal instead), so it recovers from Akka's empty in-memory store:
        // one database read less for every service that starts (two per project at scale, docs/benchmarks.md, s7-owner).
        SnapshotPluginId = NoSnapshots;
        Recover<ServiceActionsSucceeded>(_ => lastFailure = null);
        Recover<ServiceActionsFailed>(e => lastFailure = e.Reason);
        Idle();
    }

    /// <summary>
    /// How many of its latest events a service keeps. Its state is only whether the last run failed, which the newest
    /// events always hold, so older ones are history and are deleted in batches of this size.
    /// </summary>
    internal const int KeptEvents = 32;

    /// <summary>Akka's snapshot store that holds nothing and answers every load from memory (persistence.conf).</summary>
    internal const string NoSnapshots = "akka.persistence.no-snapshot-store";

    /// <summary>How many of its last output lines a failed one-off (service_completed_successfully) shows under its service.</summary>
    private const int OneOffTailLines = 10;

    public override string PersistenceId => $"service|{project}|{service}";

    public static Props Props(string project, string service, IRuntimeProvider provider, RetryPolicy retry) =>
        Akka.Actor.Props.Create(() => new ServiceActor(project, service, provider, retry));

    private void Idle()
    {
        Command<ExecuteService>(Execute);
        Command<Settle>(_ => Sender.Tell(Settled.Instance, Self));
        Housekeeping();
    }

    /// <summary>A run's work is in flight: everything but its end waits in the stash, in order.</summary>
    private void Busy()
    {
        Command<ExecutionEnded>(Ended);
        Housekeeping();
        CommandAny(_ => Stash.Stash());
    }

    private void Housekeeping()
    {
        Command<DeleteMessagesSuccess>(m => trimmedTo = Math.Max(trimmedTo, m.ToSequenceNr));
        Command<DeleteMessagesFailure>(m => Context.GetLogger().Warning(m.Cause, "{0} could not delete its journal up to {1}; the events stay until the next run", PersistenceId, m.ToSequenceNr));
    }

    private void Execute(ExecuteService command)
    {
        if (command.Cancellation.IsCancellationRequested)
        {
            // Queued behind the work of a run that has since been superseded: nothing to record.
            Sender.Tell(new ServiceFailed(command.Generation, service, "cancelled: a newer generation superseded this run"), Self);
            return;
        }

        var started = Stopwatch.StartNew();
        var actions = command.Actions.Where(a => a.Action != ActionType.NoOp).Select(Describe).ToImmutableArray();
        var outer = Activity.Current;
        var activity = ReconcilerTelemetry.Source.StartActivity("action", ActivityKind.Internal, command.Parent);
        activity?.SetTag("nanokit.service", service);
        activity?.SetTag("nanokit.actions", string.Join(", ", actions));
        var work = new ServiceExecution(this, Context.System.EventStream, command, started).RunAsync();

        // The work carries the span on with it; this thread's next message must not.
        Activity.Current = outer;
        var ended = new ExecutionEnded(command, Sender, actions, started, activity);
        work.PipeTo(Self, Self, success: () => ended, failure: e => ended with { Failure = e });
        Become(Busy);
    }

    private void Ended(ExecutionEnded ended)
    {
        var (command, replyTo, actions, started, activity) = (ended.Command, ended.ReplyTo, ended.Actions, ended.Started, ended.Activity);
        using (activity)
        {
            if (ended.Failure is null)
            {
                ReconcilerTelemetry.ActionDuration.Record(started.Elapsed.TotalSeconds);
                if (!actions.IsEmpty || lastFailure is not null)
                {
                    Persist(new ServiceActionsSucceeded(command.Generation, actions, DateTimeOffset.UtcNow), _ =>
                    {
                        lastFailure = null;
                        TrimJournal();
                    });
                }

                Progress(command, ServicePhase.Succeeded, actions.IsEmpty ? "up to date" : "done", started.Elapsed);
                replyTo.Tell(new ServiceSucceeded(command.Generation, service), Self);
            }
            else if (ended.Failure is OperationCanceledException && command.Cancellation.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                replyTo.Tell(new ServiceFailed(command.Generation, service, "cancelled: a newer generation superseded this run"), Self);
            }
            else
            {
                // Any failure of the work ends as a reply: a restart would drop the command and leave the run waiting.
                var reason = ended.Failure is RuntimeException or ServiceFailedException ? ended.Failure.Message : Unexpected(ended.Failure);
                log.Warning(ended.Failure, "{0}/{1}: generation {2}: {3} failed: {4}", project, service, command.Generation, actions.IsEmpty ? "waiting for readiness" : string.Join(", ", actions), reason);
                activity?.SetStatus(ActivityStatusCode.Error, reason);
                ReconcilerTelemetry.Failures.Add(1, new KeyValuePair<string, object?>("service", service));
                Persist(new ServiceActionsFailed(command.Generation, actions, reason, DateTimeOffset.UtcNow), _ =>
                {
                    lastFailure = reason;
                    TrimJournal();
                });
                Progress(command, ServicePhase.Failed, reason, started.Elapsed);
                replyTo.Tell(new ServiceFailed(command.Generation, service, reason), Self);
            }
        }

        Become(Idle);
        Stash.UnstashAll();
    }

    /// <summary>Called after a run's last event: deletes all but the newest <see cref="KeptEvents"/> once twice as many have piled up.</summary>
    private void TrimJournal()
    {
        if (LastSequenceNr - trimmedTo >= 2 * KeptEvents)
        {
            trimmedTo = LastSequenceNr - KeptEvents;
            DeleteMessages(trimmedTo);
        }
    }

    private void Progress(ExecuteService command, ServicePhase phase, string message, TimeSpan elapsed) =>
        Context.System.EventStream.Publish(new ServiceProgress(project, command.Generation, service, phase, message, elapsed));

    /// <summary>A failure no step named (an exception neither the runtime nor the lifecycle raised): its type and message.</summary>
    private static string Unexpected(Exception e) => e is OperationCanceledException
        ? $"timed out ({e.GetType().Name}: {e.Message})"
        : $"unexpected {e.GetType().Name}: {e.Message}";

    private static string Describe(PlanAction action) => $"{PlanJsonRenderer.WireName(action.Action)} {action.Service}[{action.Replica}]: {action.Cause}";

    /// <summary>The work of one <see cref="ExecuteService"/> is over (<see cref="Failure"/> null: it succeeded).</summary>
    private sealed record ExecutionEnded(ExecuteService Command, IActorRef ReplyTo, ImmutableArray<string> Actions, Stopwatch Started, Activity? Activity)
    {
        public Exception? Failure { get; init; }
    }

    /// <summary>
    /// The steps of one <see cref="ExecuteService"/>, in the order the lifecycle requires. Runs partly off the
    /// actor thread (provider continuations), so it touches no actor state: progress goes to the event stream.
    /// </summary>
    private sealed class ServiceExecution(ServiceActor owner, EventStream events, ExecuteService command, Stopwatch clock)
    {
        private CancellationToken Cancel => command.Cancellation;

        public async Task RunAsync()
        {
            var deletions = command.Actions.Where(a => a.Action == ActionType.Delete).ToList();
            var stops = command.Actions.Where(a => a.Action is ActionType.Stop or ActionType.Restart).ToList();
            var applies = command.Actions.Where(a => a.Action is ActionType.Create or ActionType.Update or ActionType.Start or ActionType.Restart).ToList();
            if (deletions.Count > 0 || stops.Count > 0)
            {
                await HookAsync(ServicePhase.Prestop, HookKind.Prestop).ConfigureAwait(false);
            }

            if (deletions.Count > 0)
            {
                Report(ServicePhase.Deleting, $"removing {Replicas(deletions)}");
                await Task.WhenAll(deletions.Select(a => WithRetryAsync($"remove replica {a.Replica}", () => owner.provider.DeleteAsync(Id(a), command.StopTimeout, Cancel)))).ConfigureAwait(false);
            }

            if (stops.Count > 0)
            {
                Report(ServicePhase.Stopping, $"stopping {Replicas(stops)}");
                await Task.WhenAll(stops.Select(a => WithRetryAsync($"stop replica {a.Replica}", () => owner.provider.StopAsync(Id(a), command.StopTimeout, Cancel)))).ConfigureAwait(false);
            }

            if (command.Spec is not { } spec)
            {
                return;
            }

            if (applies.Count > 0)
            {
                await HookAsync(ServicePhase.Prestart, HookKind.Prestart).ConfigureAwait(false);
                Report(ServicePhase.Applying, string.Join(", ", applies.Select(a => $"{Verb(a.Action)} {a.Replica}")));
                var updates = applies.Where(a => a.Action == ActionType.Update).ToList();
                await Task.WhenAll(applies.Except(updates).Select(a => ApplyAsync(spec, a)).Append(RollAsync(spec, updates))).ConfigureAwait(false);
            }

            await WaitReadyAsync(spec).ConfigureAwait(false);
            if (applies.Count > 0)
            {
                await HookAsync(ServicePhase.Poststart, HookKind.Poststart).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Replaces replicas <c>deploy.update_config.parallelism</c> slots at a time (all at once when unset, as Compose
        /// does); a batch must succeed before the next starts, so a bad update stops after the first batch.
        /// </summary>
        private async Task RollAsync(ServiceSpec spec, List<PlanAction> updates)
        {
            foreach (var batch in updates.Chunk(spec.Update.Parallelism ?? Math.Max(1, updates.Count)))
            {
                await Task.WhenAll(batch.Select(a => ApplyAsync(spec, a))).ConfigureAwait(false);
            }
        }

        private Task ApplyAsync(ServiceSpec spec, PlanAction action) => action.Action is ActionType.Start or ActionType.Restart
            ? WithRetryAsync($"start replica {action.Replica}", () => StartOrCreateAsync(spec, action))
            : WithRetryAsync($"{Verb(action.Action)} replica {action.Replica}", () => CreateAsync(spec, action));

        // A start that finds nothing to start (a runtime whose stop deletes the replica, such as Kubernetes) creates the
        // replica from the desired spec, as a missing replica is: the runtime keeps nothing between a restart's stop and
        // its start, so a start that another node resumes after a failover works the same.
        private async Task<ObservedReplica> StartOrCreateAsync(ServiceSpec spec, PlanAction action)
        {
            try
            {
                return await owner.provider.StartAsync(Id(action), Cancel).ConfigureAwait(false);
            }
            catch (RuntimeException e) when (e.Missing && action.ConfigHash is not null)
            {
                return await CreateAsync(spec, action).ConfigureAwait(false);
            }
        }

        private Task<ObservedReplica> CreateAsync(ServiceSpec spec, PlanAction action) => owner.provider.CreateAsync(
            new ReplicaSpec(command.Project, spec, action.Replica, action.ConfigHash!, command.Generation)
            {
                Progress = new Reporter(message => Report(ServicePhase.Applying, $"replica {action.Replica}: {message}")),
            },
            Cancel);

        /// <summary>Waits for every desired replica to meet the condition the service's dependents declared (Compose semantics).</summary>
        private async Task WaitReadyAsync(ServiceSpec spec)
        {
            if (command.Readiness == DependencyCondition.ServiceStarted || spec.Replicas == 0)
            {
                return;
            }

            Report(ServicePhase.Waiting, command.Readiness == DependencyCondition.ServiceHealthy ? "waiting until healthy" : "waiting until completed");
            using var span = ReconcilerTelemetry.Source.StartActivity("wait");
            span?.SetTag("nanokit.condition", command.Readiness.ToString());
            var replicas = Enumerable.Range(1, spec.Replicas).Select(n => new ReplicaId(command.Project, spec.Name, n));
            await Task.WhenAll(replicas.Select(WaitReplicaAsync)).ConfigureAwait(false);
        }

        private async Task WaitReplicaAsync(ReplicaId replica)
        {
            if (command.Readiness == DependencyCondition.ServiceCompletedSuccessfully)
            {
                var exit = await RetryAsync(
                    $"wait for replica {replica.Replica}", () => owner.provider.WaitForCompletionAsync(replica, Cancel), transientOnly: true).ConfigureAwait(false);
                if (exit != 0)
                {
                    var last = await ShowLogTailAsync(replica).ConfigureAwait(false);
                    throw new ServiceFailedException($"replica {replica.Replica} exited with code {exit}{(last is null ? "" : $" ({last})")}; dependents need service_completed_successfully");
                }

                return;
            }

            var health = await RetryAsync(
                $"health of replica {replica.Replica}", () => owner.provider.WaitForHealthAsync(replica, Cancel), transientOnly: true).ConfigureAwait(false);
            switch (health)
            {
                case HealthStatus.Unhealthy:
                    throw new ServiceFailedException($"replica {replica.Replica} is unhealthy; dependents need service_healthy");
                case HealthStatus.None:
                    throw new ServiceFailedException($"replica {replica.Replica} has no healthcheck, but dependents need service_healthy");
            }
        }

        private async Task HookAsync(ServicePhase phase, HookKind kind)
        {
            if (command.Spec?.Hooks.For(kind) is not { } hook)
            {
                return;
            }

            var name = kind.ToString().ToLowerInvariant();
            Report(phase, $"running {name} hook");
            using var span = ReconcilerTelemetry.Source.StartActivity("hook");
            span?.SetTag("nanokit.hook", name);
            var result = await owner.provider.RunHookAsync(command.Project, command.Spec, kind, Cancel).ConfigureAwait(false);
            ShowOutput(phase, result.OutputTail, command.Spec);
            if (!result.Succeeded)
            {
                var why = result.TimedOut ? $"timed out after {hook.Timeout.TotalSeconds:0.#}s" : $"exited with code {result.ExitCode}";
                span?.SetStatus(ActivityStatusCode.Error, why);
                throw new ServiceFailedException($"{name} hook {why}");
            }
        }

        /// <summary>
        /// A one-off that failed: the end of its output (stderr included), shown as a hook's is, so the reason is on screen
        /// without a trip to <c>nkapp logs</c>; returns its last line for the failure's reason. Output that cannot be read
        /// (a provider keeping none) leaves the failure as it is.
        /// </summary>
        private async Task<string?> ShowLogTailAsync(ReplicaId replica)
        {
            if (owner.provider is not IReplicaLogs logs || command.Spec is not { } spec)
            {
                return null;
            }

            var lines = new List<string>();
            try
            {
                await foreach (var line in logs.ReadLogsAsync(replica, new LogReadOptions(Tail: OneOffTailLines), Cancel).ConfigureAwait(false))
                {
                    lines.Add(line);
                }
            }
            catch (RuntimeException)
            {
                return null;
            }

            var tail = string.Join('\n', lines);
            ShowOutput(ServicePhase.Waiting, tail, spec);
            return lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l)) is { } last ? Masked(last.Trim(), spec) : null;
        }

        /// <summary>
        /// The end of a hook's output, one progress line each under its service (its whole output stays in the hook's
        /// log). A hook may print the secrets it was given: their values are masked before anything leaves the actor.
        /// </summary>
        private void ShowOutput(ServicePhase phase, string tail, ServiceSpec spec)
        {
            if (string.IsNullOrWhiteSpace(tail))
            {
                return;
            }

            tail = Masked(tail, spec);
            foreach (var line in tail.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
            {
                Report(phase, "| " + line);
            }
        }

        private static string Masked(string text, ServiceSpec spec)
        {
            foreach (var (key, value) in spec.Environment)
            {
                if (value is { Length: > 0 } secret && spec.SecretEnvironment.Contains(key))
                {
                    text = text.Replace(secret, "******", StringComparison.Ordinal);
                }
            }

            return text;
        }

        /// <summary>An action on the runtime (create, start, delete): retried, then counted.</summary>
        private async Task WithRetryAsync<T>(string what, Func<Task<T>> operation)
        {
            await RetryAsync(what, operation, transientOnly: false).ConfigureAwait(false);
            ReconcilerTelemetry.Actions.Add(1, new KeyValuePair<string, object?>("service", command.Service));
        }

        private Task WithRetryAsync(string what, Func<Task> operation) =>
            WithRetryAsync(what, async () =>
            {
                await operation().ConfigureAwait(false);
                return true;
            });

        /// <summary>
        /// Runs <paramref name="operation"/> again after a <see cref="RuntimeException"/>, as <see cref="RetryPolicy"/> allows:
        /// a few attempts for a failure the platform reported, longer while the platform cannot be reached at all.
        /// With <paramref name="transientOnly"/> only the latter is retried (a wait whose answer is a verdict). Any other
        /// failure (a provider's bug, a timeout of its own) ends the step with a reason that names it and the replica.
        /// </summary>
        private async Task<T> RetryAsync<T>(string what, Func<Task<T>> operation, bool transientOnly)
        {
            Stopwatch? outage = null;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await operation().ConfigureAwait(false);
                }
                catch (RuntimeException e) when (!Cancel.IsCancellationRequested && (e.Transient || !transientOnly)
                    && owner.retry.ShouldRetry(attempt, e.Transient, (outage ??= Stopwatch.StartNew()).Elapsed))
                {
                    var delay = owner.retry.DelayAfter(attempt, Random.Shared);
                    var budget = e.Transient ? "platform unreachable" : $"attempt {attempt}/{owner.retry.MaxAttempts}";
                    owner.log.Warning("{0}/{1}: {2} failed ({3}), retrying in {4:0.#}s: {5}", command.Project.Name, command.Service, what, budget, delay.TotalSeconds, e.Message);
                    Report(ServicePhase.Retrying, $"{what} failed ({budget}), retrying in {delay.TotalSeconds:0.#}s: {e.Message}");
                    await Task.Delay(delay, Cancel).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not (RuntimeException or ServiceFailedException) && !Cancel.IsCancellationRequested)
                {
                    throw new ServiceFailedException($"{what}: {Unexpected(e)}", e);
                }
            }
        }

        /// <summary>Reports on the calling thread (System.Progress would post to a synchronization context).</summary>
        private sealed class Reporter(Action<string> report) : IProgress<string>
        {
            public void Report(string value) => report(value);
        }

        private void Report(ServicePhase phase, string message) =>
            events.Publish(new ServiceProgress(command.Project.Name, command.Generation, command.Service, phase, message, clock.Elapsed));

        private ReplicaId Id(PlanAction action) => new(command.Project, action.Service, action.Replica);

        private static string Replicas(List<PlanAction> actions) =>
            actions.Count == 1 ? $"replica {actions[0].Replica}" : $"{actions.Count} replicas";

        private static string Verb(ActionType action) => PlanJsonRenderer.Verb(action);
    }
}

/// <summary>A service cannot reach its desired state for a reason retrying will not change within this run.</summary>
internal sealed class ServiceFailedException(string message, Exception? inner = null) : Exception(message, inner);
