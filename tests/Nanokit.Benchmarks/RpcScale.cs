using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Nanokit.Server.Api.V1;

namespace Nanokit.Benchmarks;

/// <summary>
/// Many projects on a cluster. <c>rpc-scale</c>: --count projects (two services each) applied with --concurrency
/// calls in flight round-robin over the nodes, then timed until ListProjects shows every one converged; writes each
/// project's revision to --snapshot. <c>rpc-join</c> (run as a new node starts, with --since its start in Unix
/// seconds and --node its cluster address): times until /cluster/shards shows the shards spread evenly with the new
/// node holding its share, then checks against --snapshot that every project is still converged and which ones
/// wrote events meanwhile (a project moved to the new node must not run again).
/// </summary>
internal static class RpcScale
{
    public static async Task<int> ConvergeAsync(RpcBench.Api api, ReconcilerMacro.Arguments arguments)
    {
        var count = arguments.Int("count", 1000);
        var concurrency = arguments.Int("concurrency", 32);
        var snapshot = arguments.Text("snapshot", "rpc-scale.snapshot");
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var node = i % api.Nodes.Length;
                var name = $"scale-{i}";
                await api.RetryAsync(node, () => api.Projects(node).ApplyProjectAsync(RpcBench.Api.Apply(name), api.Auth).ResponseAsync);
            }
        })));
        var applied = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{count} ApplyProject calls in {applied:F1} s ({count / applied:F0}/s, {concurrency} in flight, {api.Retried} retried after UNAVAILABLE)");

        var deadline = TimeSpan.FromMinutes(arguments.Int("minutes", 10));
        List<Project> projects;
        while (true)
        {
            projects = await ListAsync(api);
            var converged = projects.Count(p => p.Name.StartsWith("scale-", StringComparison.Ordinal) && p.Phase == "Converged" && p.ObservedGeneration >= p.Generation);
            if (converged == count)
            {
                break;
            }

            if (clock.Elapsed > deadline)
            {
                Console.WriteLine($"not converged after {deadline.TotalMinutes} minutes: {converged} of {count}");
                return 1;
            }

            await Task.Delay(500);
        }

        Console.WriteLine($"{count} projects converged {clock.Elapsed.TotalSeconds:F1} s after the first ApplyProject");
        var owners = projects.GroupBy(p => p.Owner).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        Console.WriteLine($"owners: {string.Join(", ", owners)}");
        Console.WriteLine($"RSS: {api.Memory()}");
        await File.WriteAllLinesAsync(snapshot, projects.Select(p => $"{p.Name} {p.Revision}"));
        return 0;
    }

    public static async Task<int> JoinAsync(RpcBench.Api api, ReconcilerMacro.Arguments arguments)
    {
        var since = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(arguments.Text("since", "0"), CultureInfo.InvariantCulture) * 1000));
        var joining = arguments.Text("node", "");
        var shards = arguments.Int("shards", 100);
        var snapshot = (await File.ReadAllLinesAsync(arguments.Text("snapshot", "rpc-scale.snapshot")))
            .Select(line => line.Split(' ')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var deadline = DateTimeOffset.UtcNow.AddMinutes(arguments.Int("minutes", 5));
        string? seen = null;
        double? holdsAny = null;
        while (true)
        {
            var regions = await RegionsAsync(api);
            var summary = string.Join(", ", regions.Select(r => $"{r.Node} {r.Shards}"));
            if (summary != seen)
            {
                Console.WriteLine($"{(DateTimeOffset.UtcNow - since).TotalSeconds,6:F1} s: {summary}");
                seen = summary;
            }

            var mine = regions.FirstOrDefault(r => r.Node == joining).Shards;
            holdsAny ??= mine > 0 ? (DateTimeOffset.UtcNow - since).TotalSeconds : null;
            // Even: every region within one shard of an equal share (Akka's allocation strategy aims at no better).
            if (regions.Length == api.Nodes.Length && regions.Sum(r => r.Shards) == shards && regions.Max(r => r.Shards) - regions.Min(r => r.Shards) <= 1)
            {
                break;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                Console.WriteLine("not rebalanced in time");
                return 1;
            }

            await Task.Delay(250);
        }

        var balanced = (DateTimeOffset.UtcNow - since).TotalSeconds;
        Console.WriteLine($"new node started -> first shard on it {holdsAny:F1} s, shards even over {api.Nodes.Length} nodes {balanced:F1} s");

        // Give moved projects time to recover on the new node, then compare with the snapshot.
        await Task.Delay(TimeSpan.FromSeconds(arguments.Int("settle", 15)));
        var projects = await ListAsync(api);
        var lost = snapshot.Keys.Except(projects.Select(p => p.Name)).Count();
        var notConverged = projects.Count(p => snapshot.ContainsKey(p.Name) && !(p.Phase == "Converged" && p.ObservedGeneration >= p.Generation));
        var changed = projects.Where(p => snapshot.TryGetValue(p.Name, out var revision) && p.Revision != revision).ToList();
        var onNew = projects.Count(p => p.Owner == joining);
        Console.WriteLine($"after the rebalance: {lost} projects missing, {notConverged} not converged, {changed.Count} wrote events, status last reported by the new node for {onNew}");
        foreach (var project in changed.Take(3))
        {
            var events = new List<string>();
            var node = 0;
            using var call = api.Projects(node).WatchProject(new WatchProjectRequest { Project = project.Name, AfterRevision = snapshot[project.Name] }, api.Auth, DateTime.UtcNow.AddSeconds(3));
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync())
                {
                    events.Add(e.EventCase == ProjectEvent.EventOneofCase.RunStarted ? $"RunStarted({e.RunStarted.Trigger})" : e.EventCase.ToString());
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
            {
            }

            Console.WriteLine($"  {project.Name}: {string.Join(", ", events)}");
        }

        Console.WriteLine($"RSS: {api.Memory()}");
        return lost == 0 && notConverged == 0 ? 0 : 1;
    }

    private static async Task<List<Project>> ListAsync(RpcBench.Api api)
    {
        var all = new List<Project>();
        var token = "";
        do
        {
            var page = await api.Projects(0).ListProjectsAsync(new ListProjectsRequest { PageSize = 1000, PageToken = token }, api.Auth);
            all.AddRange(page.Projects);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    private static async Task<(string Node, int Shards)[]> RegionsAsync(RpcBench.Api api)
    {
        using var json = JsonDocument.Parse(await api.GetStringAsync(0, "/cluster/shards"));
        return [.. json.RootElement.EnumerateArray().Select(r => (r.GetProperty("node").GetString()!, r.GetProperty("shards").GetInt32()))];
    }
}
