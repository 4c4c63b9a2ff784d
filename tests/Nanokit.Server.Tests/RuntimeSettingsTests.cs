using System.Globalization;
using System.Text.RegularExpressions;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// The process settings <c>nkapp server</c> ships (Nanokit.Cli.csproj's runtimeconfig, ServerProcess's gen0 budget):
/// a started node runs with them as its own runtime reports them (/metrics, its start-up log), not only as written in
/// its files, and no variable has to be set for it.
/// </summary>
public sealed partial class RuntimeSettingsTests : IDisposable
{
    private const long MiB = 1024 * 1024;

    private readonly TestFiles files = new();

    [Fact]
    public async Task A_node_collects_gen0_once_per_tens_of_megabytes_allocated_not_every_few()
    {
        await using var node = ServerNode.Start(await TestPostgres.CreateDatabaseAsync("nk_runtime_"), files.TokenFile, files.ConfigFile, seedClusterPort: null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));

        // Projects applied until the node has allocated enough for the ratio to mean something (a node allocates
        // ~40 MB to start; the runtime's own budget on this host collects every ~2-6 MB).
        var client = new Projects.ProjectsClient(node.Channel);
        var (allocated, collections) = await GcFiguresAsync(node);
        for (var i = 0; allocated < 160 * MiB && i < 2000; i++)
        {
            await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project($"alloc-{i}")), TestFiles.As(TestFiles.WriteToken));
            (allocated, collections) = await GcFiguresAsync(node);
        }

        Assert.True(allocated >= 160 * MiB, $"the node allocated only {allocated / MiB} MiB");
        Assert.True(allocated / Math.Max(1, collections) >= 16 * MiB,
            $"{collections} collections for {allocated / MiB} MiB allocated: a gen0 budget below 16 MiB");
    }

    [Fact]
    public async Task A_node_runs_without_tiered_compilation_without_tiered_PGO_and_without_thread_pool_spinning()
    {
        await using var node = ServerNode.Start(await TestPostgres.CreateDatabaseAsync("nk_runtime_"), files.TokenFile, files.ConfigFile, seedClusterPort: null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));

        await Eventually.Async(TimeSpan.FromSeconds(30), () =>
        {
            Assert.Contains("Runtime: tiered compilation 0, tiered PGO false, thread-pool spin limit 0, gen0 size 0x4000000,", node.Output);
            return Task.CompletedTask;
        });
    }

    /// <summary>Bytes allocated since the node started, and garbage collections of any generation.</summary>
    private static async Task<(long Allocated, long Collections)> GcFiguresAsync(ServerNode node)
    {
        var metrics = await node.Http.GetStringAsync("/metrics");
        var allocated = Samples(metrics, "dotnet_gc_heap_total_allocated_bytes_total").Single();
        var collections = Samples(metrics, "dotnet_gc_collections_total").ToList();
        Assert.Equal(3, collections.Count); // one per generation: the runtime's meter is exported
        return (allocated, collections.Sum());
    }

    private static IEnumerable<long> Samples(string metrics, string name) =>
        Sample().Matches(metrics).Where(m => m.Groups["name"].Value == name)
            .Select(m => (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{[^}]*\} (?<value>[0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    public void Dispose() => files.Dispose();
}
