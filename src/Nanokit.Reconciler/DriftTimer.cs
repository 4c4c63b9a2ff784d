using System.Diagnostics;
using Akka.Actor;
using Nanokit.Runtime;

namespace Nanokit.Reconciler;

/// <summary>
/// Tells its parent (the project actor) when to re-observe: every drift interval, moved by a random jitter so
/// many projects don't observe in lockstep, and at once (debounced) when the runtime's change stream reports a
/// replica exiting or vanishing — Argo CD polls every few minutes; an event gets a heal under a second.
/// </summary>
internal sealed class DriftTimer : ReceiveActor, IWithTimers
{
    private readonly TimeSpan interval;
    private readonly ReconcilerSettings settings;
    private readonly CancellationTokenSource watching = new();
    private string? pendingChange;

    public DriftTimer(ProjectRef project, IRuntimeProvider provider, TimeSpan interval, ReconcilerSettings settings)
    {
        this.interval = interval;
        this.settings = settings;
        Receive<Tick>(_ =>
        {
            Context.Parent.Tell(new DriftTick("drift interval"), Self);
            ArmTick();
        });
        Receive<RuntimeChange>(change =>
        {
            pendingChange ??= $"{change.Replica.Service}[{change.Replica.Replica}] {change.Replica.State.ToString().ToLowerInvariant()}";
            Timers.StartSingleTimer(Debounced.Instance, Debounced.Instance, settings.ChangeDebounce);
        });
        Receive<Debounced>(_ =>
        {
            Context.Parent.Tell(new DriftTick("runtime change: " + pendingChange), Self);
            pendingChange = null;
        });
        Receive<WatchFailed>(failed =>
        {
            // The periodic tick still covers drift meanwhile; the stream is re-opened after a pause.
            Context.Parent.Tell(new DriftTick("runtime change stream failed: " + failed.Reason), Self);
            Timers.StartSingleTimer(RestartWatch.Instance, RestartWatch.Instance, settings.WatchRestartDelay);
        });
        Receive<WatchEnded>(ended =>
        {
            // A stream that ends at once is a provider without one; a stream that ran and ended was closed by
            // the other side (daemon restart, idle proxy): reopen it rather than fall back to ticks alone.
            if (ended.After >= settings.WatchRestartDelay)
            {
                Timers.StartSingleTimer(RestartWatch.Instance, RestartWatch.Instance, settings.WatchRestartDelay);
            }
        });
        Receive<RestartWatch>(_ =>
        {
            Watch(project, provider);
            Context.Parent.Tell(new DriftTick("runtime change stream reopened"), Self);
        });
        Watch(project, provider);
        Context.Parent.Tell(ChangeStreamOpened.Instance, Self);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ProjectRef project, IRuntimeProvider provider, TimeSpan interval, ReconcilerSettings settings) =>
        Akka.Actor.Props.Create(() => new DriftTimer(project, provider, interval, settings));

    protected override void PreStart() => ArmTick();

    protected override void PostStop()
    {
        watching.Cancel();
        watching.Dispose();
    }

    /// <summary>
    /// Pumps the provider's change stream into this actor's mailbox until stopped; a failure comes back as a message.
    /// The stream is opened (its first read begun) here, on the actor's thread, and the parent is told when it is: a
    /// change between the project's observation and that moment reaches no stream, so the parent looks again if a run
    /// was in flight meanwhile (without that, a replica exiting milliseconds after its start waits for the interval).
    /// </summary>
    private void Watch(ProjectRef project, IRuntimeProvider provider)
    {
        var (self, token, opened) = (Self, watching.Token, Stopwatch.GetTimestamp());
        IAsyncEnumerator<RuntimeChange> changes;
        ValueTask<bool> first;
        try
        {
            changes = provider.WatchAsync(project, token).GetAsyncEnumerator(token);
            first = changes.MoveNextAsync();
        }
        catch (Exception e)
        {
            self.Tell(new WatchFailed(e.Message), self);
            return;
        }

        _ = PumpAsync(changes, first, self, token, opened);
    }

    private static async Task PumpAsync(IAsyncEnumerator<RuntimeChange> changes, ValueTask<bool> next, IActorRef self, CancellationToken token, long opened)
    {
        try
        {
            await using (changes.ConfigureAwait(false))
            {
                while (await next.ConfigureAwait(false))
                {
                    self.Tell(changes.Current, self);
                    next = changes.MoveNextAsync();
                }
            }

            if (!token.IsCancellationRequested)
            {
                self.Tell(new WatchEnded(Stopwatch.GetElapsedTime(opened)), self);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            self.Tell(new WatchFailed(e.Message), self);
        }
    }

    private void ArmTick()
    {
        var factor = 1 + settings.DriftJitter * (2 * Random.Shared.NextDouble() - 1);
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, interval * factor);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record WatchFailed(string Reason);

    private sealed record WatchEnded(TimeSpan After);

    private sealed record RestartWatch
    {
        public static readonly RestartWatch Instance = new();
    }

    private sealed record Debounced
    {
        public static readonly Debounced Instance = new();
    }
}
