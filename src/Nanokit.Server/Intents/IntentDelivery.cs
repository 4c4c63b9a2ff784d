using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Server.Intents;

/// <summary>
/// Sends stored intents to their project entities, one node's share of the cluster's traffic kept bounded.
///
/// Design note. Every node reads the intents it may have to deliver (<see cref="IntentDispatcher"/>: notifications,
/// sweeps) and tells them here. An intent is sent with this actor as the sender, and the project answers
/// <see cref="SpecAccepted"/> once the generation is in its journal: from then on this node never sends it again,
/// whatever the store still says (a status report may lag or be lost; the answer is what counts). An intent not
/// answered is sent again after the time projects currently take to answer (<see cref="AnswerTimes"/>: at least
/// <c>redeliver-after</c>), then twice as long each time up to <c>redeliver-max</c>: the message may have gone to an
/// owner that died before its shard moved, so it must be repeated, but a project that is slow to recover is not
/// flooded. The spec is parsed from its stored JSON once, when the intent is first sent, and the copies repeat that
/// message. At most <c>max-in-flight</c> intents are awaiting an answer at once; the others
/// wait their turn in arrival order, so a node that sweeps ten thousand intents at start sends them as fast as the
/// projects accept them, not all at once. Traffic per intent: one message and one answer per node, plus one
/// redelivery per backoff step while its owner does not answer. When a member is removed (a failover), what was sent
/// to its shards is lost and the shards are homed again within about a second: every unanswered intent is sent again
/// at once (the region holds it until its shard's new home is known) and its backoff starts over, so a failover does
/// not wait out <c>redeliver-max</c>. That copy can still be lost: this actor and the region hear of the removal
/// separately, and a region that has not yet dropped the dead member's shards sends it there. So each is sent once
/// more when the shards have been homed again (<see cref="DeliverySettings.ResendAfterRemoval"/>), rather than after
/// the answer-time backoff, which in one failover measured 2.5 s. This actor also keeps <see cref="IntentSenders"/>
/// up to date with the members that are up and reachable.
/// </summary>
internal sealed class IntentDelivery : ReceiveActor, IWithTimers
{
    private readonly IActorRef region;
    private readonly DeliverySettings settings;
    private readonly ILogger logger;
    private readonly IntentSenders senders;
    private readonly HashSet<Address> up = [];
    private readonly HashSet<Address> unreachable = [];
    private readonly AnswerTimes answerTimes;

    // Intents sent and not yet answered, or waiting for a slot; by project.
    private readonly Dictionary<string, Delivery> unanswered = new(StringComparer.Ordinal);
    private readonly Queue<string> waiting = new();

    // The newest generation each project answered for, while the store still lists an intent of it as pending.
    private readonly Dictionary<string, long> answered = new(StringComparer.Ordinal);
    private int inFlight;

    // The clock of answer times and due times (a test moves it on instead of sleeping).
    private readonly TimeProvider clock;

    public IntentDelivery(IActorRef region, DeliverySettings settings, IntentSenders senders, ILogger logger, TimeProvider? clock = null)
    {
        this.clock = clock ?? TimeProvider.System;
        this.region = region;
        this.settings = settings;
        this.senders = senders;
        this.logger = logger;
        answerTimes = new AnswerTimes(settings);
        Receive<IntentsPending>(Read);
        Receive<SpecAccepted>(Answered);
        Receive<Redeliver>(_ => RedeliverDue());
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            Members(up.Remove(m.Member.Address) | unreachable.Remove(m.Member.Address));
            AfterRemoval();
        });
        Receive<MemberLeft>(_ => AfterRemoval());
        Receive<ShardsRehomed>(_ => ResendUnanswered());
        Receive<ClusterEvent.CurrentClusterState>(m =>
        {
            up.UnionWith(m.Members.Where(member => member.Status == MemberStatus.Up).Select(member => member.Address));
            unreachable.UnionWith(m.Unreachable.Select(member => member.Address));
            Members(changed: true);
        });
        Receive<ClusterEvent.MemberUp>(m => Members(up.Add(m.Member.Address)));
        Receive<ClusterEvent.MemberLeft>(m => Members(up.Remove(m.Member.Address)));
        Receive<ClusterEvent.MemberExited>(m => Members(up.Remove(m.Member.Address)));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.UnreachableMember>(m => Members(unreachable.Add(m.Member.Address)));
        Receive<ClusterEvent.ReachableMember>(m => Members(unreachable.Remove(m.Member.Address)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region, DeliverySettings settings, IntentSenders senders, ILogger logger, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new IntentDelivery(region, settings, senders, logger, clock));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(Redeliver.Instance, Redeliver.Instance, settings.RedeliverAfter);
        if (Context.System.HasExtension<Akka.Cluster.Cluster>())
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(
                Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        }
    }

    protected override void PostStop()
    {
        if (Context.System.HasExtension<Akka.Cluster.Cluster>())
        {
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        }
    }

    /// <summary>Who sends which intent follows the members up and reachable (<see cref="IntentSenders"/>).</summary>
    private void Members(bool changed)
    {
        if (changed)
        {
            var members = up.Except(unreachable).Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList();
            senders.Update(members);
            logger.SendersChanged(string.Join(",", members));
        }
    }

    private void AfterRemoval()
    {
        ResendUnanswered();
        if (settings.ResendAfterRemoval > TimeSpan.Zero)
        {
            Timers.StartSingleTimer(ShardsRehomed.Instance, ShardsRehomed.Instance, settings.ResendAfterRemoval);
        }
    }

    private void ResendUnanswered()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var sent = unanswered.Values.Where(d => d.Attempts > 0).ToList();
        foreach (var delivery in sent)
        {
            Send(delivery with { Attempts = 0 }, now);
        }

        if (sent.Count > 0)
        {
            logger.Redelivered(sent.Count, waiting.Count, settings.MaxInFlight, answerTimes.First);
        }
    }

    private void Read(IntentsPending pending)
    {
        if (pending.Intents.Length > 0 && logger.IsEnabled(LogLevel.Debug))
        {
            logger.PendingRead(pending.Intents.Length, pending.Scope.ToString(), string.Join(",", pending.Intents.Select(i => $"{i.Project}@{i.Generation}")));
        }

        var read = pending.Intents.ToDictionary(i => i.Project, StringComparer.Ordinal);
        if (pending.Scope != PendingScope.Notified)
        {
            // What a sweep no longer returns, no later sweep returns either unless a new generation is written (and notified).
            foreach (var project in answered.Keys.Where(p => !read.ContainsKey(p)).ToList())
            {
                answered.Remove(project);
            }
        }

        if (pending.Scope == PendingScope.All)
        {
            // The dispatcher reads one thing at a time, so this snapshot is newer than every intent told before it.
            foreach (var project in unanswered.Keys.Where(p => !read.ContainsKey(p)).ToList())
            {
                Forget(project);
            }
        }

        foreach (var intent in pending.Intents)
        {
            if (answered.GetValueOrDefault(intent.Project) >= intent.Generation
                || (unanswered.TryGetValue(intent.Project, out var known) && known.Intent.Generation >= intent.Generation))
            {
                continue;
            }

            Forget(intent.Project);
            unanswered[intent.Project] = new Delivery(intent, null, 0, DateTime.MinValue, DateTime.MinValue);
            waiting.Enqueue(intent.Project);
        }

        SendWaiting();
    }

    private void Answered(SpecAccepted accepted)
    {
        logger.IntentAnswered(accepted.Project, accepted.Generation);
        answered[accepted.Project] = Math.Max(answered.GetValueOrDefault(accepted.Project), accepted.Generation);
        if (unanswered.TryGetValue(accepted.Project, out var delivery) && delivery.Intent.Generation <= accepted.Generation)
        {
            if (delivery.Attempts > 0)
            {
                answerTimes.Answered(clock.GetUtcNow().UtcDateTime - delivery.FirstSentAt);
            }

            Forget(accepted.Project);
            SendWaiting();
        }
    }

    private void RedeliverDue()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = unanswered.Values.Where(d => d.Attempts > 0 && d.DueAt <= now).ToList();
        foreach (var delivery in due)
        {
            Send(delivery, now);
        }

        if (due.Count > 0)
        {
            logger.Redelivered(due.Count, waiting.Count, settings.MaxInFlight, answerTimes.First);
        }

        // Longer than the longest first wait: the project did not answer several copies. Said once per intent, by name,
        // so a stalled delivery shows in the node's log at its default level (which project, since when, how often sent).
        foreach (var late in unanswered.Values.Where(d => d is { Attempts: > 1, Warned: false } && now - d.FirstSentAt > settings.RedeliverAfterMax).ToList())
        {
            logger.IntentUnanswered(late.Intent.Project, late.Intent.Generation, late.Attempts, now - late.FirstSentAt);
            unanswered[late.Intent.Project] = late with { Warned = true };
        }
    }

    private void SendWaiting()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        while (inFlight < settings.MaxInFlight && waiting.TryDequeue(out var project))
        {
            // A project forgotten or replaced while it waited left its name in the queue: skip what is not waiting.
            if (unanswered.TryGetValue(project, out var delivery) && delivery.Attempts == 0)
            {
                inFlight++;
                Send(delivery, now);
            }
        }

        IntentTelemetry.Unanswered(unanswered.Count);
    }

    private void Send(Delivery delivery, DateTime now)
    {
        var intent = delivery.Intent;
        var message = delivery.Message ?? new ApplyIntent(intent.Generation, IntentStore.Spec(intent)) { StopTimeout = intent.StopTimeout, Stopped = intent.Stopped, Restart = intent.Restart };
        region.Tell(new ProjectEnvelope(intent.Project, message), Self);
        IntentTelemetry.Deliveries.Add(1);
        var attempts = delivery.Attempts + 1;
        logger.IntentSent(intent.Project, intent.Generation, attempts, answerTimes.After(attempts));
        unanswered[intent.Project] = delivery with
        {
            Message = message, Attempts = attempts, FirstSentAt = attempts == 1 ? now : delivery.FirstSentAt, DueAt = now + answerTimes.After(attempts),
        };
    }

    private void Forget(string project)
    {
        if (unanswered.Remove(project, out var delivery) && delivery.Attempts > 0)
        {
            inFlight--;
        }
    }

    /// <param name="Message">What is sent, built at the first send; null before.</param>
    /// <param name="Attempts">Times sent; 0 while waiting for a slot.</param>
    /// <param name="FirstSentAt">When it was first sent (again from 1 after a member was removed).</param>
    /// <param name="DueAt">When to send it again if still unanswered.</param>
    /// <param name="Warned">Whether the node's log already said this intent is long unanswered.</param>
    private sealed record Delivery(Intent Intent, ApplyIntent? Message, int Attempts, DateTime FirstSentAt, DateTime DueAt, bool Warned = false);

    /// <summary>A member left the cluster (tests tell it directly; the cluster tells <see cref="ClusterEvent.MemberRemoved"/>).</summary>
    internal sealed record MemberLeft
    {
        public static readonly MemberLeft Instance = new();
    }

    private sealed record Redeliver
    {
        public static readonly Redeliver Instance = new();
    }

    private sealed record ShardsRehomed
    {
        public static readonly ShardsRehomed Instance = new();
    }
}
