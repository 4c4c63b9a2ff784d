using System.Collections.Immutable;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// The planner: a pure function of the desired project and the observed state to a <see cref="ServicePlan"/>.
/// </summary>
/// <remarks>
/// Design note. Per replica (1-based) of every service in scope, the config hash alone decides:
/// <list type="bullet">
/// <item>absent → CREATE "not deployed"; observed as Missing → CREATE "missing";</item>
/// <item>hash differs → UPDATE (recreate), explained from the replica's applied definition when known;</item>
/// <item>same hash: Running → NO_OP; Exited → START "exited (code)", except a replica that exited 0 and
/// that another service waits on with <c>service_completed_successfully</c> (a finished job) → NO_OP, and as
/// Compose's <c>restart</c> says: <c>no</c> → NO_OP whatever the code, <c>on-failure</c> → NO_OP after exit 0, and a bound
/// (<c>on-failure:3</c>, <c>max_attempts</c>) → NO_OP once the replica's <see cref="PlanOptions.RestartCounts"/> for its current
/// config hash reaches it (a new definition starts from 0);
/// Unhealthy → UPDATE "unhealthy", since a fresh replica is the level-triggered remedy;</item>
/// <item>a service stopped by intent (<see cref="PlanOptions.Stopped"/>): Running or Unhealthy → STOP, anything else
/// (absent included) → NO_OP "stopped"; a service to restart (<see cref="PlanOptions.Restart"/>): Running and
/// current → RESTART, the rest as above;</item>
/// <item>indexes above the desired count → DELETE "replica 3 above desired 2"; a second replica claiming an
/// index already taken → DELETE. Scaling never touches the replicas it keeps: replicas are not hashed.</item>
/// </list>
/// Layers: orphan deletions come first, so an orphan frees its ports and names before a renamed service
/// takes them, ordered dependents first (from the orphans' applied definitions; an orphan whose
/// dependencies are unknown is treated as depending on nothing, so it goes as early as anything that
/// needs it allows). Then the execution layers of the project graph, each holding its services' actions
/// (a scale-down deletion in its service's layer). Actions inside a layer are sorted by service then replica.
/// Layers without actions are left out; <see cref="PlanLayer.Index"/> numbers the plan's layers from 0.
/// Cost: O(services + edges + observed replicas), plus one hash per service in scope.
/// </remarks>
public static class PlanEngine
{
    private const string UpToDate = "up to date";
    private const string Orphan = "not in configuration (orphan)";
    private const string StoppedCause = "stopped by `nkapp stop`";
    private const string BoundReached = " reached";

    /// <summary>What the user last asked of a service beyond its definition.</summary>
    private enum Intent
    {
        Running,
        Stopped,
        Restart,
    }

    /// <summary>Builds the project's graph and plans it; throws <see cref="Diagnostics.ConfigException"/> on cycles.</summary>
    public static ServicePlan Plan(ProjectSpec desired, ObservedState observed, PlanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        return Plan(desired, GraphEngine.Build(desired), observed, options);
    }

    /// <summary>Plans with a graph already built from <paramref name="desired"/> (by <see cref="GraphEngine.Build"/>).</summary>
    public static ServicePlan Plan(ProjectSpec desired, ExecutionGraph graph, ObservedState observed, PlanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(observed);
        options ??= PlanOptions.Default;
        var subset = !options.Services.IsDefaultOrEmpty;
        var scope = subset ? graph.Subgraph(options.Services) : graph;
        var alone = subset && options.NoDeps ? options.Services.ToHashSet(StringComparer.Ordinal) : null;
        var byService = GroupByService(observed);
        var layers = ImmutableArray.CreateBuilder<PlanLayer>();

        if (options.RemoveOrphans ?? !subset)
        {
            foreach (var actions in OrphanDeletions(desired, byService))
            {
                layers.Add(new PlanLayer(layers.Count, actions));
            }
        }

        // Only a replica that exited 0 asks whether its service is a job; most plans never do.
        var finishedJobs = new Lazy<HashSet<string>>(() => FinishedJobServices(desired), LazyThreadSafetyMode.None);

        // One pass over the sorted map beats a tree lookup per service (its comparer need not even be ordinal).
        var specs = new Dictionary<string, ServiceSpec>(desired.Services.Count, StringComparer.Ordinal);
        foreach (var (name, spec) in desired.Services)
        {
            specs.Add(name, spec);
        }

        var stopped = options.Stopped.IsDefaultOrEmpty ? [] : options.Stopped.ToHashSet(StringComparer.Ordinal);
        var restart = options.Restart.IsDefaultOrEmpty ? [] : options.Restart.ToHashSet(StringComparer.Ordinal);
        var counts = RestartCountsOf(options.RestartCounts);
        var actionsOfLayer = new List<PlanAction>();
        HashSet<string>? recreated = null;
        foreach (var layer in scope.Layers)
        {
            actionsOfLayer.Clear();
            foreach (var name in layer)
            {
                if (alone is not null && !alone.Contains(name))
                {
                    continue;
                }

                byService.TryGetValue(name, out var replicas);
                var intent = stopped.Contains(name) ? Intent.Stopped : restart.Contains(name) ? Intent.Restart : Intent.Running;
                var first = actionsOfLayer.Count;
                PlanService(specs[name], replicas, finishedJobs, counts, intent, actionsOfLayer);
                if (intent == Intent.Running && RecreatedDependency(specs[name], recreated) is { } dependency)
                {
                    RestartAfter(dependency, actionsOfLayer, first);
                }

                if (actionsOfLayer.Skip(first).Any(a => a.Action is ActionType.Update or ActionType.Restart))
                {
                    (recreated ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
                }
            }

            if (actionsOfLayer.Count > 0)
            {
                layers.Add(new PlanLayer(layers.Count, [.. actionsOfLayer]));
            }
        }

        return new ServicePlan(desired.Name, layers.ToImmutable()) { Runtime = RuntimeChoices.Describe(desired) };
    }

    private static void PlanService(
        ServiceSpec spec,
        List<ObservedReplica>? observed,
        Lazy<HashSet<string>> finishedJobs,
        Dictionary<(string, int), RestartCount>? counts,
        Intent intent,
        List<PlanAction> actions)
    {
        var hash = ConfigHash.Compute(spec);
        var desiredCount = Math.Max(spec.Replicas, 0);
        var next = 1;
        if (observed is not null)
        {
            ObservedReplica? previous = null;
            foreach (var replica in observed)
            {
                for (; next < replica.Replica && next <= desiredCount; next++)
                {
                    actions.Add(Absent(spec, next, hash, intent));
                }

                if (replica.Replica < 1)
                {
                    actions.Add(Delete(replica, $"replica {replica.Replica} is not a valid index"));
                }
                else if (previous is not null && previous.Replica == replica.Replica)
                {
                    actions.Add(Delete(replica, $"duplicate of replica {replica.Replica}"));
                }
                else if (replica.Replica > desiredCount)
                {
                    actions.Add(Delete(replica, $"replica {replica.Replica} above desired {desiredCount}"));
                }
                else
                {
                    actions.Add(intent switch
                    {
                        Intent.Stopped => new PlanAction(spec.Name, replica.Replica, replica.State is ReplicaState.Running or ReplicaState.Unhealthy ? ActionType.Stop : ActionType.NoOp, StoppedCause, hash, replica.Id),
                        Intent.Restart when replica.State == ReplicaState.Running && string.Equals(replica.ConfigHash, hash, StringComparison.Ordinal) =>
                            new PlanAction(spec.Name, replica.Replica, ActionType.Restart, "restart requested", hash, replica.Id),
                        _ => Decide(spec, hash, replica, finishedJobs, RestartsOf(counts, replica, hash)),
                    });
                    next = replica.Replica + 1;
                }

                previous = replica;
            }
        }

        for (; next <= desiredCount; next++)
        {
            actions.Add(Absent(spec, next, hash, intent));
        }
    }

    /// <summary>The first dependency (by name) declared with <c>restart: true</c> that this plan recreates or restarts, if any.</summary>
    private static string? RecreatedDependency(ServiceSpec spec, HashSet<string>? recreated) =>
        recreated is null ? null : spec.DependsOn.Values.FirstOrDefault(d => d.Restart && recreated.Contains(d.Service))?.Service;

    /// <summary>
    /// Compose's <c>depends_on: {X: {restart: true}}</c>: a running, up-to-date replica is restarted after the plan
    /// recreates or restarts X (in a later layer, so after X is up again). Replicas the plan already acts on keep their action.
    /// </summary>
    private static void RestartAfter(string dependency, List<PlanAction> actions, int first)
    {
        for (var i = first; i < actions.Count; i++)
        {
            if (actions[i] is { Action: ActionType.NoOp, Cause: UpToDate } upToDate)
            {
                actions[i] = upToDate with { Action = ActionType.Restart, Cause = $"dependency {dependency} recreated (depends_on restart: true)" };
            }
        }
    }

    private static PlanAction Absent(ServiceSpec spec, int replica, string hash, Intent intent) => intent == Intent.Stopped
        ? new PlanAction(spec.Name, replica, ActionType.NoOp, StoppedCause, hash)
        : new PlanAction(spec.Name, replica, ActionType.Create, "not deployed", hash);

    private static PlanAction Decide(ServiceSpec spec, string hash, ObservedReplica replica, Lazy<HashSet<string>> finishedJobs, int restarts)
    {
        var (action, cause) = replica.State switch
        {
            ReplicaState.Missing => (ActionType.Create, "missing"),
            _ when !string.Equals(replica.ConfigHash, hash, StringComparison.Ordinal) =>
                (ActionType.Update, ChangeExplainer.Explain(replica.AppliedDefinition, spec)),
            ReplicaState.Running => (ActionType.NoOp, UpToDate),
            ReplicaState.Exited when replica.ExitCode == 0 && finishedJobs.Value.Contains(spec.Name) => (ActionType.NoOp, "completed successfully"),
            ReplicaState.Exited when spec.Restart == RestartMode.No => (ActionType.NoOp, $"{Exited(replica)}; restart: no"),
            ReplicaState.Exited when spec.Restart == RestartMode.OnFailure && replica.ExitCode == 0 => (ActionType.NoOp, "exited (0); restart: on-failure"),
            ReplicaState.Exited when spec.RestartAttempts is { } bound && restarts >= bound => (ActionType.NoOp, $"{Exited(replica)}; restart {Bounded(spec)}{BoundReached}"),
            ReplicaState.Exited when spec.RestartAttempts is { } bound => (ActionType.Start, $"{Exited(replica)}; restart {restarts + 1} of {bound}"),
            ReplicaState.Exited => (ActionType.Start, Exited(replica)),
            ReplicaState.Unhealthy => (ActionType.Update, "unhealthy"),
            _ => throw new ArgumentOutOfRangeException(nameof(replica), replica.State, "unknown replica state"),
        };
        return new PlanAction(spec.Name, replica.Replica, action, cause, hash, replica.Id) { RestartBoundReached = cause.EndsWith(BoundReached, StringComparison.Ordinal) };
    }

    /// <summary>A bounded restart in the words of the file: <c>on-failure:3</c>, else <c>always, max_attempts 3</c>.</summary>
    private static string Bounded(ServiceSpec spec) => spec.Restart switch
    {
        RestartMode.OnFailure => $"on-failure:{spec.RestartAttempts}",
        RestartMode.UnlessStopped => $"unless-stopped, max_attempts {spec.RestartAttempts}",
        _ => $"always, max_attempts {spec.RestartAttempts}",
    };

    private static Dictionary<(string, int), RestartCount>? RestartCountsOf(ImmutableArray<RestartCount> counts)
    {
        if (counts.IsDefaultOrEmpty)
        {
            return null;
        }

        var result = new Dictionary<(string, int), RestartCount>(counts.Length);
        foreach (var count in counts)
        {
            result[(count.Service, count.Replica)] = count;
        }

        return result;
    }

    // A count made under another definition is not this one's: a new definition starts from 0.
    private static int RestartsOf(Dictionary<(string, int), RestartCount>? counts, ObservedReplica replica, string hash) =>
        counts is not null && counts.TryGetValue((replica.Service, replica.Replica), out var count) && string.Equals(count.ConfigHash, hash, StringComparison.Ordinal)
            ? count.Count
            : 0;

    private static string Exited(ObservedReplica replica) => replica.ExitCode is { } code ? $"exited ({code})" : "exited";

    private static PlanAction Delete(ObservedReplica replica, string cause) =>
        new(replica.Service, replica.Replica, ActionType.Delete, cause, null, replica.Id);

    /// <summary>Observed replicas per service, each list sorted by replica index then id, so duplicates resolve the same way every time.</summary>
    private static Dictionary<string, List<ObservedReplica>> GroupByService(ObservedState observed)
    {
        var byService = new Dictionary<string, List<ObservedReplica>>(StringComparer.Ordinal);
        foreach (var replica in observed.Replicas)
        {
            if (!byService.TryGetValue(replica.Service, out var list))
            {
                list = [];
                byService.Add(replica.Service, list);
            }

            list.Add(replica);
        }

        foreach (var list in byService.Values)
        {
            if (list.Count > 1)
            {
                list.Sort(static (a, b) =>
                {
                    var byIndex = a.Replica.CompareTo(b.Replica);
                    return byIndex != 0 ? byIndex : string.CompareOrdinal(a.Id, b.Id);
                });
            }
        }

        return byService;
    }

    /// <summary>Services some other service waits on to complete: their replicas are jobs, done once they exit 0.</summary>
    private static HashSet<string> FinishedJobServices(ProjectSpec desired)
    {
        var jobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in desired.Services.Values)
        {
            foreach (var dependency in service.DependsOn.Values)
            {
                if (dependency.Condition == DependencyCondition.ServiceCompletedSuccessfully)
                {
                    jobs.Add(dependency.Service);
                }
            }
        }

        return jobs;
    }

    private static IEnumerable<ImmutableArray<PlanAction>> OrphanDeletions(
        ProjectSpec desired,
        Dictionary<string, List<ObservedReplica>> byService)
    {
        var orphans = new SortedDictionary<string, List<ObservedReplica>>(StringComparer.Ordinal);
        foreach (var (name, replicas) in byService)
        {
            if (!desired.Services.ContainsKey(name))
            {
                orphans.Add(name, replicas);
            }
        }

        foreach (var layer in OrphanLayers.Order(orphans))
        {
            var actions = ImmutableArray.CreateBuilder<PlanAction>();
            foreach (var name in layer)
            {
                foreach (var replica in orphans[name])
                {
                    actions.Add(Delete(replica, Orphan));
                }
            }

            yield return actions.ToImmutable();
        }
    }
}
