using BenchmarkDotNet.Attributes;
using Nanokit.Actors;

namespace Nanokit.Benchmarks;

/// <summary>
/// Spawn rate and idle footprint (DESIGN.md §6: ≥ 500 k spawns/s, ≤ 500 B per idle actor; Akka.NET ≈ 42 k/s and ≈ 1.3 KB).
/// One operation is one top-level ReceiveActor (one handler) created and started; after each iteration the
/// heap held by the 1 M idle actors (GC.GetTotalMemory(true) after − before) is printed as "bytes per idle actor".
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*ActorSpawn*' --job short</c>.
/// </summary>
public class ActorSpawnBenchmarks
{
    private const int Actors = 1_000_000;

    private static CountdownEvent s_started = new(1);

    private ActorSystem _system = null!;
    private long _heapBefore;

    [IterationSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("spawn");
        s_started = new CountdownEvent(Actors);
        _heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    }

    [IterationCleanup]
    public void Cleanup()
    {
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// bytes per idle actor: {(heapAfter - _heapBefore) / (double)Actors:F1} ({Actors:N0} actors)");
        _system.Terminate().GetAwaiter().GetResult();
        s_started.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Actors)]
    public void SpawnIdleActors()
    {
        var props = Props.Create<Idle>();
        for (var i = 0; i < Actors; i++)
        {
            _system.ActorOf(props);
        }

        s_started.Wait();
    }

    private sealed class Idle : ReceiveActor
    {
        public Idle() => Receive<string>(static _ => { });

        protected override void PreStart() => s_started.Signal();
    }
}
