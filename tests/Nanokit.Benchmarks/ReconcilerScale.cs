using System.Diagnostics;
using Akka.Actor;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Benchmarks;

/// <summary>
/// Scale (DESIGN.md §6: 10 k projects × 10 services on one node, simulated runtime, converge ≤ 30 s, ≤ 2 GB).
/// One process, one run: N project actors are created and sent their <see cref="ApplySpec"/> in one burst, and the
/// clock stops when the last <see cref="RunCompleted"/> arrives; every run must succeed and every replica must have
/// been created exactly once. Specs are parsed before the clock starts (parsing is the planning benchmark's
/// business); creating the project actors, their recovery from the empty journal and the durable intent are inside it.
/// Milestones (last intent durable, last run planned) show where the time goes without a profiler.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- scale --projects 10000 --journal sqlite</c>.
/// </summary>
internal static class ReconcilerScale
{
    public static async Task<int> RunAsync(ReconcilerMacro.Arguments args)
    {
        var projects = args.Int("projects", 1000);
        var journal = args.Journal();
        var healthDelay = TimeSpan.FromMilliseconds(args.Int("health-delay-ms", 20));
        var timeout = TimeSpan.FromSeconds(args.Int("timeout-s", 300));
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions
        {
            Latency = TimeSpan.FromMilliseconds(args.Int("latency-ms", 0)),
            HealthDelay = healthDelay,
        });

        await using var node = await ReconcilerNode.StartAsync(journal, args.Directory(), args.Hocon(), CancellationToken.None).ConfigureAwait(false);
        var specs = Enumerable.Range(0, projects)
            .Select(i => ReconcilerWorkload.ScaleProject(ReconcilerWorkload.ProjectName(i), node.Root))
            .ToArray();
        var settings = ReconcilerSettings.Default;
        var progress = new ScaleProgress(projects);
        var collector = node.System.ActorOf(Props.Create(() => new ScaleCollector(progress)), "collector");
        node.System.EventStream.Subscribe(collector, typeof(RunStarted));
        node.System.EventStream.Subscribe(collector, typeof(RunCompleted));

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var pausesBefore = GC.GetTotalPauseDuration();
        var collectionsBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        using var memory = ReconcilerMemory.Start();
        using var reporter = new Timer(_ => Console.Error.WriteLine($"  {progress.Clock.Elapsed.TotalSeconds,6:F1}s  {progress}  heap {ReconcilerMemory.Megabytes(GC.GetTotalMemory(false))}  ws {ReconcilerMemory.Megabytes(Environment.WorkingSet)}"), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        progress.Clock.Start();
        foreach (var spec in specs)
        {
            var project = node.System.ActorOf(ProjectActor.Props(spec.Name, node.Root, runtime, settings), "project-" + spec.Name);
            project.Tell(new ApplySpec(spec, PlanOptions.Default), collector);
        }

        var spawned = progress.Clock.Elapsed;
        var finished = await Task.WhenAny(progress.Converged, Task.Delay(timeout)).ConfigureAwait(false) == progress.Converged;
        var elapsed = progress.Clock.Elapsed;
        await reporter.DisposeAsync().ConfigureAwait(false);

        var stats = runtime.Stats;
        var expectedCreates = (long)projects * ReconcilerWorkload.ServicesPerProject;
        Console.WriteLine($"scale: {projects:N0} projects x {ReconcilerWorkload.ServicesPerProject} services, journal {journal}, health delay {healthDelay.TotalMilliseconds} ms, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"  actors created and ApplySpec sent  {spawned.TotalSeconds,8:F2} s");
        Console.WriteLine($"  last intent durable (SpecAccepted)  {progress.LastAccepted.TotalSeconds,8:F2} s");
        Console.WriteLine($"  last run planned (RunStarted)       {progress.LastStarted.TotalSeconds,8:F2} s");
        Console.WriteLine($"  first / last RunCompleted           {progress.FirstCompleted.TotalSeconds,8:F2} s / {progress.LastCompleted.TotalSeconds:F2} s");
        Console.WriteLine($"  converged                           {elapsed.TotalSeconds,8:F2} s ({progress})");
        Console.WriteLine($"  replicas created {stats.Creates:N0} (expected {expectedCreates:N0}), store {ReconcilerMemory.Megabytes(node.StoreBytes())}");
        if (journal == ReconcilerJournal.Sqlite)
        {
            Console.WriteLine($"  journal: {await node.JournalBreakdownAsync(CancellationToken.None).ConfigureAwait(false)}");
        }

        Console.WriteLine($"  peak managed heap {ReconcilerMemory.Megabytes(memory.PeakManagedBytes)} (before {ReconcilerMemory.Megabytes(heapBefore)}), peak working set {ReconcilerMemory.Megabytes(memory.PeakWorkingSetBytes)}");
        Console.WriteLine($"  allocated {ReconcilerMemory.Megabytes(GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore)}, GCs gen0/1/2 {GC.CollectionCount(0) - collectionsBefore.Item1}/{GC.CollectionCount(1) - collectionsBefore.Item2}/{GC.CollectionCount(2) - collectionsBefore.Item3}, GC pauses {(GC.GetTotalPauseDuration() - pausesBefore).TotalMilliseconds:F0} ms");

        Console.WriteLine($"  serializing every intent once (GenerationAccepted, ReconcilerSerializer): {SerializeIntents(node.System, specs)}");
        var ok = finished && progress.Failed == 0 && stats.Creates == expectedCreates;
        if (!ok)
        {
            Console.WriteLine($"  FAILED: {(finished ? "" : $"not converged within {timeout.TotalSeconds} s; ")}{progress.Failed} failed runs ({progress.FirstFailure ?? "none"}), {stats.Creates:N0} creates");
        }

        // One line for scripts/bench-scale.sh to aggregate.
        Console.WriteLine(
            $"RESULT mode=scale projects={projects} journal={journal.ToString().ToLowerInvariant()} ok={ok.ToString().ToLowerInvariant()} " +
            $"seconds={elapsed.TotalSeconds:F3} accepted_s={progress.LastAccepted.TotalSeconds:F3} " +
            $"peak_heap_mb={memory.PeakManagedBytes / 1048576.0:F0} peak_ws_mb={memory.PeakWorkingSetBytes / 1048576.0:F0}");
        return ok ? 0 : 1;
    }

    /// <summary>What the reconciler's serializer spends on JSON alone for the intents, measured after the run on one thread.</summary>
    private static string SerializeIntents(ActorSystem system, ProjectSpec[] specs)
    {
        var serialization = system.Serialization;
        var at = DateTimeOffset.UtcNow;
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        foreach (var spec in specs)
        {
            var accepted = new GenerationAccepted(1, spec, [], null, at);
            bytes += serialization.FindSerializerFor(accepted).ToBinary(accepted).Length;
        }

        return $"{clock.Elapsed.TotalSeconds:F2} s, {bytes / specs.Length:N0} B each ({clock.Elapsed.TotalMicroseconds / specs.Length:F0} µs each)";
    }

    /// <summary>
    /// Counts written by the collector actor only and read by the reporter timer and the main thread, hence the
    /// Volatile/Interlocked access; the times are offsets on <see cref="Clock"/>.
    /// </summary>
    private sealed class ScaleProgress(int projects)
    {
        private readonly TaskCompletionSource converged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int accepted;
        private int started;
        private int completed;
        private int failed;

        public Stopwatch Clock { get; } = new();

        public Task Converged => converged.Task;

        public int Failed => Volatile.Read(ref failed);

        public string? FirstFailure { get; private set; }

        public TimeSpan LastAccepted { get; private set; }

        public TimeSpan LastStarted { get; private set; }

        public TimeSpan FirstCompleted { get; private set; }

        public TimeSpan LastCompleted { get; private set; }

        public void Accepted()
        {
            Interlocked.Increment(ref accepted);
            LastAccepted = Clock.Elapsed;
        }

        public void Started()
        {
            Interlocked.Increment(ref started);
            LastStarted = Clock.Elapsed;
        }

        public void Completed(RunCompleted run)
        {
            var count = Interlocked.Increment(ref completed);
            LastCompleted = Clock.Elapsed;
            if (count == 1)
            {
                FirstCompleted = LastCompleted;
            }

            if (!run.Result.Succeeded)
            {
                Interlocked.Increment(ref failed);
                FirstFailure ??= $"{run.Project}: {string.Join("; ", run.Result.Failures.Select(f => $"{f.Service}: {f.Reason}"))}";
            }

            if (count == projects)
            {
                converged.TrySetResult();
            }
        }

        public override string ToString() =>
            $"accepted {Volatile.Read(ref accepted)}/{projects}, planned {Volatile.Read(ref started)}, completed {Volatile.Read(ref completed)}, failed {Failed}";
    }

    /// <summary>Receives every project's <see cref="SpecAccepted"/> reply and the run events from the event stream.</summary>
    private sealed class ScaleCollector : ReceiveActor
    {
        public ScaleCollector(ScaleProgress progress)
        {
            Receive<SpecAccepted>(_ => progress.Accepted());
            Receive<RunStarted>(m => m.Trigger == RunTrigger.Spec, _ => progress.Started());
            Receive<RunCompleted>(m => m.Trigger == RunTrigger.Spec, progress.Completed);
        }
    }
}
