using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;

namespace Nanokit.Reconciler;

/// <summary>
/// Compose's bounded restart (<c>on-failure:3</c>, <c>deploy.restart_policy.max_attempts</c>) needs to know how often each
/// replica was brought back. The count lives in this actor's journal, not in the runtime: Docker keeps a container's
/// labels immutable and counts only its own restart policy's restarts, and a count kept by the runtime would need one
/// store per provider. Every service's actions pass through here on their way to the service actor
/// (<see cref="ExecuteService"/>), so that is where a heal's start of an exited replica is counted (before it runs: an
/// attempt counts, as Docker counts it; a start asked for by <c>up</c> or <c>start</c> is not the policy's, as Docker's
/// count leaves out <c>docker start</c>) and where creating, recreating or deleting a replica forgets its count. A count is kept
/// with the config hash it was made under, and the planner ignores it for another definition, so a new generation that
/// recreates the replica starts from 0.
/// Compose's <c>deploy.restart_policy.delay</c> is the wait before such a start: the service's command comes back to this
/// actor after the delay, with its original sender, and is counted and routed then (an attempt counts when it is made); a
/// command whose run was cancelled meanwhile (a new generation, <c>down</c>) is dropped, so nothing starts behind it.
/// </summary>
internal sealed partial class ProjectActor
{
    private ImmutableSortedDictionary<(string Service, int Replica), RestartCount> restartCounts = ImmutableSortedDictionary<(string Service, int Replica), RestartCount>.Empty;

    /// <summary>Commands held for their service's restart delay; one that comes back is counted and routed, not held again.</summary>
    private readonly HashSet<ExecuteService> delayedRestarts = new(ReferenceEqualityComparer.Instance);

    private ImmutableArray<RestartCount> RestartCounts => [.. restartCounts.Values];

    private void CountThenRoute(ExecuteService command)
    {
        if (delayedRestarts.Remove(command))
        {
            if (command.Cancellation.IsCancellationRequested)
            {
                return;
            }
        }
        else if (command.Spec is { RestartDelay: var delay } && delay > TimeSpan.Zero && running?.Trigger == RunTrigger.Drift
            && command.Actions.Any(a => a.Action == ActionType.Start))
        {
            delayedRestarts.Add(command);
            Context.System.Scheduler.ScheduleTellOnce(delay, Self, command, Sender);
            return;
        }

        var counts = ImmutableArray.CreateBuilder<RestartCount>();
        foreach (var action in command.Actions)
        {
            restartCounts.TryGetValue((action.Service, action.Replica), out var known);
            switch (action.Action)
            {
                case ActionType.Start when action.ConfigHash is { } hash && running?.Trigger == RunTrigger.Drift:
                    var before = known is not null && string.Equals(known.ConfigHash, hash, StringComparison.Ordinal) ? known.Count : 0;
                    counts.Add(new RestartCount(action.Service, action.Replica, hash, before + 1));
                    break;
                case ActionType.Create or ActionType.Update or ActionType.Delete when known is not null:
                    counts.Add(known with { Count = 0 });
                    break;
            }
        }

        if (counts.Count == 0)
        {
            Route(command);
            return;
        }

        Persist(new ReplicaRestartsCounted(command.Service, counts.ToImmutable(), DateTimeOffset.UtcNow), e =>
        {
            Apply(e);
            SnapshotIfDue();
            Context.System.EventStream.Publish(new RestartsCounted(name, RestartCounts));
            Route(command);
        });
    }

    private void Apply(ReplicaRestartsCounted e) => Apply(e.Counts);

    private void Apply(ImmutableArray<RestartCount> counts)
    {
        var builder = restartCounts.ToBuilder();
        foreach (var count in counts)
        {
            if (count.Count > 0)
            {
                builder[(count.Service, count.Replica)] = count;
            }
            else
            {
                builder.Remove((count.Service, count.Replica));
            }
        }

        restartCounts = builder.ToImmutable();
    }

    /// <summary>After <c>down</c> nothing is counted; a service no longer defined has no replicas left to count.</summary>
    private void ForgetRestartsOfRemovedServices(ProjectSpec? spec)
    {
        if (!restartCounts.IsEmpty)
        {
            restartCounts = spec is null
                ? restartCounts.Clear()
                : restartCounts.RemoveRange(restartCounts.Keys.Where(k => !spec.Services.ContainsKey(k.Service)));
        }
    }
}
