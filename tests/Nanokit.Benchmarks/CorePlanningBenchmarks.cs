using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Nanokit.Core.Config;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;

namespace Nanokit.Benchmarks;

/// <summary>
/// The pure core at scale (DESIGN.md §6: parse + graph + plan of 10 k services in ≤ 250 ms, linear growth).
/// Projects come from <see cref="CoreProjectGenerator"/>; the observed state has drifted a little, so the plan
/// has real work in it (recreations, starts, an orphan per 1,000 services).
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*CorePlanning*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class CorePlanningBenchmarks
{
    // The 100 k-service run is past the default limits on purpose (it measures how the loader scales), so they are raised.
    private static readonly ProjectLoadOptions Options = new(
        ["nanokit.yml"],
        "/bench",
        null,
        [],
        ImmutableDictionary<string, string>.Empty)
    {
        Limits = LoadLimits.Default with { Services = 100_000, Replicas = 1_000_000, ProjectEnvironmentEntries = 1_000_000 },
    };

    private string yaml = "";
    private ProjectSpec project = null!;
    private ObservedState observed = ObservedState.Empty;

    [Params(1_000, 10_000, 100_000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        yaml = CoreProjectGenerator.Yaml(Services);
        project = Parse();
        observed = CoreProjectGenerator.Drifted(project);
    }

    /// <summary>The DAG and its layers alone.</summary>
    [Benchmark]
    public ExecutionGraph Graph() => GraphEngine.Build(project);

    /// <summary>Graph and plan against the drifted observed state (hashing every service).</summary>
    [Benchmark]
    public ServicePlan GraphAndPlan() => PlanEngine.Plan(project, GraphEngine.Build(project), observed);

    /// <summary>The whole pure pipeline from YAML text: load, graph, plan.</summary>
    [Benchmark]
    public ServicePlan ParseGraphAndPlan()
    {
        var parsed = Parse();
        return PlanEngine.Plan(parsed, GraphEngine.Build(parsed), observed);
    }

    private ProjectSpec Parse() => ProjectLoader.Parse([("nanokit.yml", yaml)], Options);
}
