using System.Diagnostics;
using Akka.Actor;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Benchmarks;

/// <summary>
/// Intent-to-first-action latency on an idle node: the time from <see cref="ApplySpec"/> sent to the first
/// <see cref="ServiceProgress"/> of phase Applying, for single-service projects applied one after another. Each
/// project actor is created and recovered (a status query answered) before its clock starts, as on a node that
/// already knows the project, and the previous run has completed, so nothing else competes. With the SQLite
/// journal the figure includes the durable write of the intent (one Akka.Persistence.Sql batch), reported on its own as
/// "accepted". The first projects warm up the JIT and the SQLite pool and are left out.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- latency --projects 200 --journal sqlite</c>.
/// </summary>
internal static class ReconcilerLatency
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(ReconcilerMacro.Arguments args)
    {
        var projects = args.Int("projects", 200);
        var warmup = args.Int("warmup", 20);
        var journal = args.Journal();
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions());
        await using var node = await ReconcilerNode.StartAsync(journal, args.Directory(), args.Hocon(), CancellationToken.None).ConfigureAwait(false);
        var probe = node.System.ActorOf(Props.Create(() => new LatencyProbe()), "probe");
        node.System.EventStream.Subscribe(probe, typeof(ServiceProgress));
        node.System.EventStream.Subscribe(probe, typeof(RunCompleted));

        var accepted = new List<double>();
        var applying = new List<double>();
        var completed = new List<double>();
        for (var i = 0; i < warmup + projects; i++)
        {
            var name = ReconcilerWorkload.ProjectName(i);
            var spec = ReconcilerWorkload.SingleService(name, node.Root);
            var project = node.System.ActorOf(ProjectActor.Props(name, node.Root, runtime, ReconcilerSettings.Default), "project-" + name);
            await project.Ask<CurrentProjectStatus>(GetProjectStatus.Instance, Timeout).ConfigureAwait(false);

            var track = new Track(name);
            probe.Tell(track);
            track.Sent = Stopwatch.GetTimestamp();
            project.Tell(new ApplySpec(spec, PlanOptions.Default), probe);
            var run = await track.Done.Task.WaitAsync(Timeout).ConfigureAwait(false);
            if (!run.Result.Succeeded || track.Applying == 0)
            {
                Console.WriteLine($"FAILED: {name}: run succeeded {run.Result.Succeeded}, applying seen {track.Applying != 0}");
                return 1;
            }

            if (i >= warmup)
            {
                accepted.Add(Stopwatch.GetElapsedTime(track.Sent, track.Accepted).TotalMilliseconds);
                applying.Add(Stopwatch.GetElapsedTime(track.Sent, track.Applying).TotalMilliseconds);
                completed.Add(Stopwatch.GetElapsedTime(track.Sent, track.Completed).TotalMilliseconds);
            }
        }

        Console.WriteLine($"latency: {projects} single-service projects one after another ({warmup} more as warm-up), journal {journal}, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  ApplySpec -> SpecAccepted (intent durable)   {Summary(accepted)}");
        Console.WriteLine($"  ApplySpec -> first ServiceProgress Applying  {Summary(applying)}");
        Console.WriteLine($"  ApplySpec -> RunCompleted                    {Summary(completed)}");
        Console.WriteLine(
            $"RESULT mode=latency projects={projects} journal={journal.ToString().ToLowerInvariant()} ok=true " +
            $"applying_p50_ms={Percentile(applying, 50):F3} applying_p95_ms={Percentile(applying, 95):F3} " +
            $"accepted_p50_ms={Percentile(accepted, 50):F3} completed_p50_ms={Percentile(completed, 50):F3}");
        return 0;
    }

    private static string Summary(List<double> samples) =>
        $"median {Percentile(samples, 50),7:F2} ms  p95 {Percentile(samples, 95),7:F2} ms  p99 {Percentile(samples, 99),7:F2} ms  max {samples.Max(),7:F2} ms";

    /// <summary>Nearest-rank percentile.</summary>
    internal static double Percentile(List<double> samples, double percent)
    {
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// One project's timestamps (<see cref="Stopwatch.GetTimestamp"/>), written by the probe actor and read by the
    /// main thread only after <see cref="Done"/> completes, which orders the accesses.
    /// </summary>
    private sealed class Track(string project)
    {
        public string Project { get; } = project;

        public long Sent { get; set; }

        public long Accepted { get; set; }

        public long Applying { get; set; }

        public long Completed { get; set; }

        public TaskCompletionSource<RunCompleted> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Stamps the tracked project's milestones as they arrive. The main thread tells it <see cref="Track"/> before
    /// sending the spec, so the track is in place before any of the project's events can reach the mailbox.
    /// </summary>
    private sealed class LatencyProbe : ReceiveActor
    {
        private Track? current;

        public LatencyProbe()
        {
            Receive<Track>(t => current = t);
            Receive<SpecAccepted>(m => m.Project == current?.Project, _ => current!.Accepted = Stopwatch.GetTimestamp());
            Receive<ServiceProgress>(
                m => m.Project == current?.Project && m.Phase == ServicePhase.Applying && current.Applying == 0,
                _ => current!.Applying = Stopwatch.GetTimestamp());
            Receive<RunCompleted>(m => m.Project == current?.Project, m =>
            {
                current!.Completed = Stopwatch.GetTimestamp();
                current.Done.TrySetResult(m);
            });
            ReceiveAny(_ => { });
        }
    }
}
