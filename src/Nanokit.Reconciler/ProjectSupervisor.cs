using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler;

/// <summary>
/// What one run is asked to do: converge <see cref="Desired"/> (empty after <c>down</c>), or only check for drift.
/// <see cref="SettleFirst"/> lists the service actors a superseded run may have left busy: the run waits until each has
/// finished what it was doing before it observes, so a provider call that completes after its run was cancelled is
/// in the observation instead of planned again.
/// </summary>
internal sealed record RunRequest(long Generation, RunTrigger Trigger, ProjectSpec Desired, PlanOptions Options, DriftCheckMode? Drift)
{
    public ImmutableArray<IActorRef> SettleFirst { get; init; } = [];

    /// <summary>See <see cref="ApplySpec.ExpectedObserved"/>.</summary>
    public string? ExpectedObserved { get; init; }

    /// <summary>See <see cref="GenerationAccepted.StopTimeout"/>.</summary>
    public TimeSpan? StopTimeout { get; init; }
}

/// <summary>A drift check heals (runs the plan) or only reports it.</summary>
internal sealed record DriftCheckMode(bool Heal);

/// <summary>
/// Drives one run of one generation (a child of the project actor, stopped when a newer generation supersedes it):
/// observes the runtime, plans, then executes the plan layer by layer. Every service of a layer is messaged at
/// once and the next layer starts when all have answered; a failed service blocks only its dependents, whose
/// actions are skipped as "blocked", while independent branches go on. Stopping the supervisor cancels the
/// run's token, which ends any provider call still in flight, so no dependent of a stale generation starts.
/// </summary>
internal sealed class ProjectSupervisor : ReceiveActor
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    private readonly RunRequest request;
    private readonly ProjectRef project;
    private readonly IRuntimeProvider provider;
    private readonly IActorRef services;
    private readonly CancellationTokenSource cancel = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Dictionary<string, string> failures = new(StringComparer.Ordinal);
    private readonly HashSet<string> pending = new(StringComparer.Ordinal);
    private ServicePlan? plan;
    private Dictionary<string, DependencyCondition> readiness = new(StringComparer.Ordinal);
    private int layer = -1;
    private Activity? runSpan;
    private Activity? layerSpan;

    /// <param name="services">Where <see cref="ExecuteService"/> goes: the project actor, which routes it to the service's actor.</param>
    public ProjectSupervisor(RunRequest request, ProjectRef project, IRuntimeProvider provider, IActorRef services)
    {
        this.request = request;
        this.project = project;
        this.provider = provider;
        this.services = services;
        // The run's first step (settle, observe, plan) is awaited in the handler: until there is a plan, there is
        // nothing the supervisor could do with another message, and services answer only once dispatched.
        ReceiveAsync<Begin>(_ => BeginAsync());
        Receive<ServiceSucceeded>(m => m.Generation == request.Generation, m => Answered(m.Service, null));
        Receive<ServiceFailed>(m => m.Generation == request.Generation, m => Answered(m.Service, m.Reason));
    }

    public static Props Props(RunRequest request, ProjectRef project, IRuntimeProvider provider, IActorRef services) =>
        Akka.Actor.Props.Create(() => new ProjectSupervisor(request, project, provider, services));

    protected override void PreStart() => Self.Tell(Begin.Instance, Self);

    protected override void PostStop()
    {
        cancel.Cancel();
        cancel.Dispose();
        layerSpan?.Dispose();
        runSpan?.Dispose();
    }

    private async Task BeginAsync()
    {
        runSpan = Spans.Start("reconcile", default);
        runSpan?.SetTag("nanokit.project", project.Name);
        runSpan?.SetTag("nanokit.generation", request.Generation);
        runSpan?.SetTag("nanokit.trigger", request.Trigger.ToString());
        ReconcilerTelemetry.Reconciles.Add(1);
        try
        {
            await SettleAsync().ConfigureAwait(true);
            var observed = await provider.ObserveAsync(project, cancel.Token).ConfigureAwait(true);
            if (request.ExpectedObserved is { } expected && ObservedStateHash.Compute(observed) != expected)
            {
                Finish([new ServiceFailure("*", "the runtime changed since the plan was made; nothing was done: make a new plan")]);
                return;
            }

            plan = PlanEngine.Plan(request.Desired, GraphEngine.Build(request.Desired), observed, request.Options);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // A restart would only observe again at once, without backoff: end the run; the engine retries it.
            var why = e is RuntimeException ? e.Message : $"unexpected {e.GetType().Name}: {e.Message}";
            Finish([new ServiceFailure("*", "cannot observe the runtime: " + why)]);
            return;
        }

        readiness = ReadinessOf(request.Desired, request.Options.Stopped);
        if (request.Drift is { } drift)
        {
            var healing = drift.Heal && plan.HasChanges;
            Context.Parent.Tell(new DriftObserved(plan, healing), Self);
            if (!healing)
            {
                Context.Stop(Self);
                return;
            }
        }

        Context.System.EventStream.Publish(new RunStarted(project.Name, request.Generation, request.Trigger, plan));
        if (!plan.HasChanges && readiness.Count == 0)
        {
            Finish([]);
            return;
        }

        PrepareAhead();
        NextLayer();
    }

    /// <summary>
    /// Hands the provider every replica the plan creates or replaces after its first layer, in layer order, so that it can
    /// fetch images and create what it can while the earlier layers start and become ready (<see cref="IRuntimeProvider.PrepareAsync"/>).
    /// Each replica's own turn still goes through its service actor and the gate of its dependencies; preparing is best
    /// effort, never awaited, and ends with the run's token.
    /// </summary>
    private void PrepareAhead()
    {
        var ahead = plan!.Layers.Skip(1)
            .SelectMany(l => l.Actions)
            .Where(a => a.Action is ActionType.Create or ActionType.Update && a.ConfigHash is not null)
            .Select(a => request.Desired.Services.TryGetValue(a.Service, out var spec) ? new ReplicaSpec(project, spec, a.Replica, a.ConfigHash!, request.Generation) : null)
            .OfType<ReplicaSpec>()
            .ToImmutableArray();
        if (ahead.IsEmpty)
        {
            return;
        }

        var span = Spans.Start("prepare", runSpan?.Context ?? default);
        span?.SetTag("nanokit.replicas", ahead.Length);
        provider.PrepareAsync(ahead, cancel.Token).ContinueWith(
            t =>
            {
                span?.SetStatus(t.IsCompletedSuccessfully ? ActivityStatusCode.Ok : ActivityStatusCode.Error, t.Exception?.InnerException?.Message);
                span?.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// A service actor answers <see cref="Settle"/> only after the work ahead of it in its mailbox: the superseded run's
    /// commands, which end at their next provider call. One that does not answer in time is not waited for longer.
    /// </summary>
    private async Task SettleAsync()
    {
        if (request.SettleFirst.IsEmpty)
        {
            return;
        }

        using var span = Spans.Start("settle", runSpan?.Context ?? default);
        try
        {
            await Task.WhenAll(request.SettleFirst.Select(s => s.Ask<Settled>(Settle.Instance, SettleTimeout, cancel.Token))).ConfigureAwait(true);
        }
        catch (AskTimeoutException)
        {
            span?.SetStatus(ActivityStatusCode.Error, "a service actor did not settle in time");
        }
    }

    private void NextLayer()
    {
        layerSpan?.Dispose();
        layerSpan = null;
        while (++layer < plan!.Layers.Length)
        {
            layerSpan = Spans.Start("layer", runSpan?.Context ?? default);
            layerSpan?.SetTag("nanokit.layer", layer);
            foreach (var group in plan.Layers[layer].Actions.GroupBy(a => a.Service, StringComparer.Ordinal))
            {
                Dispatch(group.Key, group.ToImmutableArray());
            }

            if (pending.Count > 0)
            {
                return;
            }

            layerSpan?.Dispose();
            layerSpan = null;
        }

        Finish(failures.Select(f => new ServiceFailure(f.Key, f.Value)).ToImmutableArray());
    }

    private void Dispatch(string service, ImmutableArray<PlanAction> actions)
    {
        request.Desired.Services.TryGetValue(service, out var spec);
        var deleting = actions.All(a => a.Action == ActionType.Delete);
        if (!deleting && spec is not null && spec.DependsOn.Keys.FirstOrDefault(failures.ContainsKey) is { } failed)
        {
            failures[service] = $"blocked: dependency {failed} failed";
            Context.System.EventStream.Publish(new ServiceProgress(project.Name, request.Generation, service, ServicePhase.Blocked, failures[service], clock.Elapsed));
            return;
        }

        var condition = readiness.GetValueOrDefault(service, DependencyCondition.ServiceStarted);
        if (actions.All(a => a.Action == ActionType.NoOp) && condition == DependencyCondition.ServiceStarted)
        {
            return;
        }

        pending.Add(service);
        services.Tell(
            new ExecuteService(request.Generation, project, service, spec, actions, condition, layerSpan?.Context ?? default, cancel.Token) { StopTimeout = request.StopTimeout },
            Self);
    }

    private void Answered(string service, string? failure)
    {
        if (!pending.Remove(service))
        {
            return;
        }

        if (failure is not null)
        {
            failures[service] = failure;
        }

        if (pending.Count == 0)
        {
            NextLayer();
        }
    }

    private void Finish(ImmutableArray<ServiceFailure> failed)
    {
        var result = new RunResult(failed.IsEmpty, failed, clock.Elapsed);
        runSpan?.SetTag("nanokit.succeeded", result.Succeeded);
        if (!result.Succeeded)
        {
            runSpan?.SetStatus(ActivityStatusCode.Error, string.Join("; ", failed.Select(f => $"{f.Service}: {f.Reason}")));
        }

        ReconcilerTelemetry.ReconcileDuration.Record(clock.Elapsed.TotalSeconds);
        Context.Parent.Tell(new RunFinished(request.Generation, request.Trigger, result), Self);
        Context.Stop(Self);
    }

    /// <summary>
    /// For each service, the strongest condition any dependent waits for (Compose: service_started unless asked). A
    /// service stopped by intent is not waited for: its dependents start without it, as after Compose's <c>stop</c>.
    /// </summary>
    private static Dictionary<string, DependencyCondition> ReadinessOf(ProjectSpec spec, ImmutableArray<string> stopped)
    {
        var result = new Dictionary<string, DependencyCondition>(StringComparer.Ordinal);
        foreach (var dependency in spec.Services.Values.SelectMany(s => s.DependsOn.Values))
        {
            if (dependency.Condition != DependencyCondition.ServiceStarted && !stopped.Contains(dependency.Service)
                && (!result.TryGetValue(dependency.Service, out var current) || dependency.Condition > current))
            {
                result[dependency.Service] = dependency.Condition;
            }
        }

        return result;
    }

    private sealed record Begin
    {
        public static readonly Begin Instance = new();
    }
}
