using Akka.Actor;
using Nanokit.Reconciler;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Benchmarks;

/// <summary>
/// Memory of an idle project entity as the node holds it: N <see cref="ProjectActor"/>s, each created, recovered
/// (from an empty journal) and asked for its status, then left alone; the managed heap after a full collection,
/// less the heap before, divided by N. The actors stay referenced by the system, so nothing of them is collected.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- idle --actors 10000 --journal memory</c>.
/// </summary>
internal static class ReconcilerIdle
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(ReconcilerMacro.Arguments args)
    {
        var actors = args.Int("actors", 10_000);
        var journal = args.Journal();
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions());
        await using var node = await ReconcilerNode.StartAsync(journal, args.Directory(), args.Hocon(), CancellationToken.None).ConfigureAwait(false);

        // One entity first, so the heap before holds the JIT'd code and the journal plugin, not the per-actor cost.
        await StatusAsync(node.System.ActorOf(ProjectActor.Props("warm-up", node.Root, runtime, ReconcilerSettings.Default), "warm-up")).ConfigureAwait(false);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var entities = Enumerable.Range(0, actors)
            .Select(i => node.System.ActorOf(ProjectActor.Props(ReconcilerWorkload.ProjectName(i), node.Root, runtime, ReconcilerSettings.Default), "project-" + i))
            .ToList();
        await Task.WhenAll(entities.Select(StatusAsync)).ConfigureAwait(false);
        var after = GC.GetTotalMemory(forceFullCollection: true);

        var perActor = (after - before) / (double)actors;
        Console.WriteLine($"idle: {actors:N0} recovered ProjectActors, journal {journal}: {ReconcilerMemory.Megabytes(after - before)} in all, {perActor:N0} B each");
        Console.WriteLine($"RESULT mode=idle actors={actors} journal={journal.ToString().ToLowerInvariant()} bytes_per_actor={perActor:F0}");
        GC.KeepAlive(entities);
        return 0;
    }

    private static Task<CurrentProjectStatus> StatusAsync(IActorRef project) =>
        project.Ask<CurrentProjectStatus>(GetProjectStatus.Instance, Timeout);
}
