using System.Threading.Channels;
using Akka.Actor;
using Nanokit.Core.Model;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>
/// A CLI command that drives the embedded reconciler: holds the node, prints the runs it observes, and waits for
/// the run of the generation it asked for. It creates the runtime provider and disposes it after the node, whose
/// actors call it until they stop. Services keep running after the session ends; only nkapp exits.
/// </summary>
internal sealed class RunSession : IAsyncDisposable
{
    private readonly EmbeddedNode node;
    private readonly ChannelReader<object> events;
    private readonly Task<StorageFailed> storageFailed;
    private readonly ProgressPrinter printer;
    private readonly bool live;
    private readonly Func<TimeSpan> sinceStart;

    private RunSession(EmbeddedNode node, IRuntimeProvider provider, CliEvents.Attached bridge, ProgressPrinter printer, bool live, Func<TimeSpan> sinceStart)
    {
        this.sinceStart = sinceStart;
        this.node = node;
        Provider = provider;
        events = bridge.Events;
        storageFailed = bridge.StorageFailed;
        this.printer = printer;
        this.live = live;
    }

    /// <summary>The project's runtime, for a command that also looks at it directly.</summary>
    public IRuntimeProvider Provider { get; }

    /// <summary>
    /// Throws <see cref="RuntimeUnavailableException"/>, <see cref="ProjectLockedException"/> or <see cref="StateStoreException"/>
    /// for the expected refusals. <paramref name="store"/> defaults to the project's state file.
    /// </summary>
    /// <param name="environment">The <c>--env</c> to remember with the intent (<c>up</c>); null keeps the one remembered.</param>
    public static async Task<RunSession> StartAsync(
        ProjectSpec spec, ReconcilerSettings settings, string command, StateStore? store, CliContext context, CancellationToken cancellationToken,
        RememberedEnvironment? environment = null)
    {
        var provider = RuntimeProviders.For(spec, context);
        try
        {
            var node = await EmbeddedNode.StartAsync(spec.Name, spec.WorkingDirectory, provider, settings, command, store, cancellationToken, ErrorLog.For(context)).ConfigureAwait(false);
            // A store that keeps nothing (down without a usable state file) has no intent worth remembering.
            var events = CliEvents.Attach(
                node.System,
                accepted =>
                {
                    if (store is not StateStore.InMemory)
                    {
                        Remember(spec.WorkingDirectory, accepted, environment);
                    }
                },
                completed =>
                {
                    if (store is not StateStore.InMemory)
                    {
                        LastRun.Remember(spec.WorkingDirectory, completed, command);
                    }
                },
                counted =>
                {
                    if (store is not StateStore.InMemory)
                    {
                        Remember(spec.WorkingDirectory, counted);
                    }
                });
            var width = Math.Max(8, spec.Services.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max());
            return new RunSession(node, provider, events, new ProgressPrinter(context.Out, width, () => context.Elapsed, command == "down" ? "nothing to remove" : null), LiveProgress.Available(context), () => context.Elapsed);
        }
        catch
        {
            await RuntimeProviders.DisposeAsync(provider).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Asks the project actor; a storage failure while waiting ends the wait at once with <see cref="StateStoreException"/>
    /// (the actor has stopped and will not answer).
    /// </summary>
    public async Task<T> AskAsync<T>(object message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = node.AskProject<T>(message, timeout, cancellationToken);
        if (await Task.WhenAny(answer, storageFailed).ConfigureAwait(false) == storageFailed)
        {
            throw Failed(await storageFailed.ConfigureAwait(false));
        }

        return await answer.ConfigureAwait(false);
    }

    /// <summary>Prints events until the run of <paramref name="generation"/> (and, when given, <paramref name="trigger"/>) completes; null when cancelled first.</summary>
    public async Task<RunCompleted?> AwaitRunAsync(long generation, RunTrigger? trigger, CancellationToken cancellationToken)
    {
        bool Wanted(RunCompleted c) => c.Generation == generation && (trigger is null || c.Trigger == trigger);
        if (live)
        {
            // The live table shows one run at a time: draw runs until the wanted one ends, then print its summary.
            try
            {
                while (await new LiveProgress(sinceStart).RunAsync(() => NextAsync(cancellationToken)).ConfigureAwait(false) is { } completed)
                {
                    printer.Completed(completed);
                    if (Wanted(completed))
                    {
                        return completed;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            return null;
        }

        try
        {
            await foreach (var message in events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Print(message) is { } completed && Wanted(completed))
                {
                    return completed;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return null;
    }

    /// <summary>Prints every run (drift heals) until cancelled: <c>up --watch</c>.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Print(message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await node.DisposeAsync().ConfigureAwait(false);
        await RuntimeProviders.DisposeAsync(Provider).ConfigureAwait(false);
    }

    /// <summary>Keeps <see cref="AppliedIntent"/> current; a cache that cannot be written only leaves the lock-free commands less informed.</summary>
    private static void Remember(string directory, IntentAccepted accepted, RememberedEnvironment? environment)
    {
        try
        {
            var previous = AppliedIntent.Read(directory, accepted.Project);
            var name = environment is not null ? environment.Name : previous?.Environment;
            (AppliedIntent.From(accepted, name) with { RestartCounts = AppliedIntent.RestartCountsOf(previous) }).Write(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void Remember(string directory, RestartsCounted counted)
    {
        try
        {
            // Published after recovery and after each count: an intent is always remembered first.
            if (AppliedIntent.Read(directory, counted.Project) is { } applied)
            {
                (applied with { RestartCounts = counted.Counts }).Write(directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task<object?> NextAsync(CancellationToken cancellationToken) =>
        await events.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && events.TryRead(out var message)
            ? message is StorageFailed failed ? throw Failed(failed) : message
            : null;

    private StateStoreException Failed(StorageFailed failed) =>
        new($"cannot use {node.Store.Describe()} ({failed.Reason}): the run stops here; fix the cause (disk space, permissions), then run the command again");

    private RunCompleted? Print(object message)
    {
        switch (message)
        {
            case RunStarted started:
                printer.Started(started);
                return null;
            case ServiceProgress progress:
                printer.Progress(progress);
                return null;
            case RunCompleted completed:
                printer.Completed(completed);
                return completed;
            case DriftReport drift:
                printer.Drifted(drift);
                return null;
            case StorageFailed failed:
                throw Failed(failed);
            default:
                return null;
        }
    }
}

/// <summary>The <c>--env</c> an <c>up</c> used (null: the base file alone), remembered with the intent.</summary>
internal sealed record RememberedEnvironment(string? Name);
