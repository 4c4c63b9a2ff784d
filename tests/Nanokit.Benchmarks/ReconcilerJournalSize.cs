using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Benchmarks;

/// <summary>
/// What a long-lived project leaves in the store (issue 4 follow-up: project snapshots, trimmed service journals).
/// One six-service project (<see cref="ReconcilerWorkload.Shop"/>) on the simulated runtime and the SQLite store
/// is applied N times one after another, each run completed before the next apply: first with a new release
/// every time, so the service actors record events too, then with the same spec every time, each case in a fresh
/// store. Once the store has been quiet for half a second, the journal and snapshot rows are counted and the
/// checkpointed file measured; then recovery is timed from a new project actor to its first status reply
/// (resuming off, so no run starts), one actor after another.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- journal --applies 500 --snapshot-every 50</c>.
/// </summary>
internal static class ReconcilerJournalSize
{
    private const string Project = "shop";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly string FiguresQuery = $"""
        SELECT
          (SELECT count(*) FROM journal WHERE persistence_id = 'project|{Project}' AND deleted = 0),
          (SELECT coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id = 'project|{Project}' AND deleted = 0),
          (SELECT count(*) FROM journal WHERE persistence_id LIKE 'service|{Project}|%' AND deleted = 0),
          (SELECT coalesce(sum(length(message)), 0) FROM journal WHERE persistence_id LIKE 'service|{Project}|%' AND deleted = 0),
          (SELECT count(*) FROM snapshot),
          (SELECT coalesce(sum(length(snapshot)), 0) FROM snapshot);
        """;

    public static async Task<int> RunAsync(ReconcilerMacro.Arguments args)
    {
        var applies = args.Int("applies", 500);
        var recoveries = args.Int("recoveries", 20);
        var settings = ReconcilerSettings.Default with { SnapshotEvery = args.Int("snapshot-every", ReconcilerSettings.Default.SnapshotEvery) };
        Console.WriteLine($"journal: one 6-service project applied {applies} times, snapshot-every {settings.SnapshotEvery}, SQLite, {Environment.ProcessorCount} cores, load {LoadAverage()}");
        var ok = await MeasureAsync(args, settings, applies, recoveries, newRelease: true).ConfigureAwait(false);
        ok &= await MeasureAsync(args, settings, applies, recoveries, newRelease: false).ConfigureAwait(false);
        return ok ? 0 : 1;
    }

    private static async Task<bool> MeasureAsync(ReconcilerMacro.Arguments args, ReconcilerSettings settings, int applies, int recoveries, bool newRelease)
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions());
        await using var node = await ReconcilerNode.StartAsync(ReconcilerJournal.Sqlite, args.Directory(), args.Hocon(), CancellationToken.None).ConfigureAwait(false);
        var runs = Channel.CreateUnbounded<RunCompleted>();
        node.System.EventStream.Subscribe(node.System.ActorOf(Props.Create(() => new RunListener(runs.Writer)), "runs"), typeof(RunCompleted));

        var project = node.System.ActorOf(ProjectActor.Props(Project, node.Root, runtime, settings), "project");
        var failed = 0;
        var clock = Stopwatch.StartNew();
        for (var release = 1; release <= applies; release++)
        {
            var spec = ReconcilerWorkload.Shop(Project, node.Root, newRelease ? release : 1);
            var accepted = await project.Ask<SpecAccepted>(new ApplySpec(spec, PlanOptions.Default), Timeout).ConfigureAwait(false);
            RunCompleted run;
            do
            {
                run = await runs.Reader.ReadAsync().AsTask().WaitAsync(Timeout).ConfigureAwait(false);
            }
            while (run.Generation != accepted.Generation);

            failed += run.Result.Succeeded ? 0 : 1;
        }

        var applying = clock.Elapsed;
        var figures = await QuietFiguresAsync(node).ConfigureAwait(false);
        var storeBytes = await node.CheckpointedStoreBytesAsync(CancellationToken.None).ConfigureAwait(false);

        await project.GracefulStop(Timeout).ConfigureAwait(false);
        var recovering = settings with { ResumeOnRecovery = false };
        var samples = new List<double>();
        // The same spec again is no new generation: that case stays at generation 1 however often it is applied.
        var generation = newRelease ? applies : 1;
        var recoveredGenerations = 0;
        for (var i = 0; i < recoveries; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var recovered = node.System.ActorOf(ProjectActor.Props(Project, node.Root, runtime, recovering), $"recovered-{i}");
            var status = await recovered.Ask<CurrentProjectStatus>(GetProjectStatus.Instance, Timeout).ConfigureAwait(false);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            recoveredGenerations += status.Status.Generation == generation ? 1 : 0;
            await recovered.GracefulStop(Timeout).ConfigureAwait(false);
        }

        var ok = failed == 0 && recoveredGenerations == recoveries;
        var name = newRelease ? "new-release" : "same-spec";
        Console.WriteLine($"  {(newRelease ? "a new release every apply" : "the same spec every apply")}: {applies} runs in {applying.TotalSeconds:F1} s, {failed} failed");
        Console.WriteLine($"    project journal    {figures[0],8:N0} events  {figures[1],12:N0} B");
        Console.WriteLine($"    service journals   {figures[2],8:N0} events  {figures[3],12:N0} B  (all 6 services)");
        Console.WriteLine($"    snapshots          {figures[4],8:N0}         {figures[5],12:N0} B");
        Console.WriteLine($"    state.db (checkpointed)             {storeBytes,12:N0} B");
        Console.WriteLine($"    recovery, new ProjectActor -> first status reply ({recoveries} samples): median {ReconcilerLatency.Percentile(samples, 50):F2} ms, max {samples.Max():F2} ms");
        if (!ok)
        {
            Console.WriteLine($"    FAILED: {failed} failed runs, {recoveries - recoveredGenerations} recoveries not at generation {generation}");
        }

        Console.WriteLine(
            $"RESULT mode=journal case={name} applies={applies} snapshot_every={settings.SnapshotEvery} ok={ok.ToString().ToLowerInvariant()} " +
            $"project_events={figures[0]} project_bytes={figures[1]} service_events={figures[2]} service_bytes={figures[3]} " +
            $"snapshots={figures[4]} snapshot_bytes={figures[5]} db_bytes={storeBytes} recovery_p50_ms={ReconcilerLatency.Percentile(samples, 50):F3}");
        return ok;
    }

    /// <summary>
    /// The store's figures once they have not changed for half a second: the last snapshot and the deletions it
    /// triggers finish after the last run has been reported.
    /// </summary>
    private static async Task<long[]> QuietFiguresAsync(ReconcilerNode node)
    {
        var deadline = Stopwatch.StartNew();
        var figures = await node.QueryAsync(FiguresQuery, CancellationToken.None).ConfigureAwait(false);
        for (var unchanged = 0; unchanged < 5 && deadline.Elapsed < Timeout;)
        {
            await Task.Delay(100).ConfigureAwait(false);
            var next = await node.QueryAsync(FiguresQuery, CancellationToken.None).ConfigureAwait(false);
            unchanged = next.SequenceEqual(figures) ? unchanged + 1 : 0;
            figures = next;
        }

        return figures;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Hands every <see cref="RunCompleted"/> of the event stream to the benchmark's loop.</summary>
    private sealed class RunListener : ReceiveActor
    {
        public RunListener(ChannelWriter<RunCompleted> runs) => Receive<RunCompleted>(m => runs.TryWrite(m));
    }
}
