using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Nanokit.Server.Api.V1;

namespace Nanokit.Benchmarks;

/// <summary>
/// The control plane's API benchmarks: a gRPC client driving running <c>nkapp server</c> nodes (scripts/bench-rpc.sh
/// starts them on the simulated runtime, so only the control plane is timed). Every timestamp is taken on this
/// machine: the client's clock for "the RPC returned" and "the stream delivered", the owner node's clock for the
/// events it records (<see cref="ProjectEvent.At"/>). Modes:
/// <list type="bullet">
/// <item><c>rpc-latency</c>: ApplyProject one project at a time; from each call's return to its owner's RunStarted.</item>
/// <item><c>rpc-get</c>: unary GetProject from concurrent clients for a while: requests/s, p50, p99.</item>
/// <item><c>rpc-watch</c>: many WatchProject streams on one node: its RSS with them open, and from an ApplyProject's
/// return until every stream has delivered the intent.</item>
/// <item><c>rpc-scale</c> and <c>rpc-join</c>: <see cref="RpcScale"/>.</item>
/// </list>
/// Options are <c>--name value</c> pairs: <c>--nodes</c> (API URLs, comma-separated), <c>--token</c>, <c>--pids</c>
/// (the nodes' process ids, same order, for their memory) and each mode's own.
/// </summary>
internal static class RpcBench
{
    public static bool Handles(string[] args) => args is ["rpc-latency" or "rpc-get" or "rpc-watch" or "rpc-scale" or "rpc-join", ..];

    public static int Run(string[] args)
    {
        var arguments = new ReconcilerMacro.Arguments(args[1..]);
        using var api = new Api(arguments);
        var run = args[0] switch
        {
            "rpc-latency" => LatencyAsync(api, arguments),
            "rpc-get" => GetAsync(api, arguments),
            "rpc-watch" => WatchAsync(api, arguments),
            "rpc-scale" => RpcScale.ConvergeAsync(api, arguments),
            _ => RpcScale.JoinAsync(api, arguments),
        };
        return run.GetAwaiter().GetResult();
    }

    /// <summary>Intent → first action through NOTIFY: --count projects applied one after another, --gap ms apart.</summary>
    private static async Task<int> LatencyAsync(Api api, ReconcilerMacro.Arguments arguments)
    {
        var count = arguments.Int("count", 200);
        var gap = TimeSpan.FromMilliseconds(arguments.Int("gap", 50));
        var prefix = arguments.Text("prefix", "latency");
        var applied = new List<(string Name, int Node, ApplyProjectResponse Accepted, DateTime Returned)>();
        for (var i = 0; i < count; i++)
        {
            var name = $"{prefix}-{i}";
            var node = i % api.Nodes.Length;
            var accepted = await api.RetryAsync(node, () => api.Projects(node).ApplyProjectAsync(Api.Apply(name), api.Auth).ResponseAsync);
            applied.Add((name, node, accepted, DateTime.UtcNow));
            await Task.Delay(gap);
        }

        var latencies = new List<double>();
        foreach (var (name, node, accepted, returned) in applied)
        {
            var started = await api.FirstAsync(node, name, accepted.Revision - 1, e => e.EventCase == ProjectEvent.EventOneofCase.RunStarted && e.Generation >= accepted.Generation);
            latencies.Add((Api.At(started) - returned).TotalMilliseconds);
        }

        Console.WriteLine($"intent -> RunStarted over {count} ApplyProject calls ({gap.TotalMilliseconds} ms apart, round-robin over {api.Nodes.Length} nodes): " +
            $"p50 {Percentile(latencies, 50):F1} ms, p99 {Percentile(latencies, 99):F1} ms, min {latencies.Min():F1} ms, max {latencies.Max():F1} ms");
        return 0;
    }

    /// <summary>Unary GetProject: --clients concurrent loops for --seconds over the projects named --prefix-0..--projects.</summary>
    private static async Task<int> GetAsync(Api api, ReconcilerMacro.Arguments arguments)
    {
        var clients = arguments.Int("clients", 32);
        var seconds = arguments.Int("seconds", 20);
        var projects = arguments.Int("projects", 100);
        var prefix = arguments.Text("prefix", "latency");
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, clients).Select(worker => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var random = new Random(worker);
            var node = worker % api.Nodes.Length;
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await api.Projects(node).GetProjectAsync(new GetProjectRequest { Project = $"{prefix}-{random.Next(projects)}" }, api.Auth);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return latencies;
        })).ToList();
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"GetProject, {clients} concurrent clients over {api.Nodes.Length} nodes for {elapsed:F1} s: {all.Count / elapsed:F0} requests/s, " +
            $"p50 {Percentile(all, 50):F2} ms, p99 {Percentile(all, 99):F2} ms ({all.Count} calls)");
        Console.WriteLine($"RSS after: {api.Memory()}");
        return 0;
    }

    /// <summary>
    /// --watches streams of one project on the first node; --rounds times a new generation is applied (through the
    /// second node) and timed until every stream delivered its IntentAccepted.
    /// </summary>
    private static async Task<int> WatchAsync(Api api, ReconcilerMacro.Arguments arguments)
    {
        var watches = arguments.Int("watches", 1000);
        var rounds = arguments.Int("rounds", 5);
        const string project = "watched";
        var accepted = await api.Projects(0).ApplyProjectAsync(Api.Apply(project), api.Auth);
        await api.FirstAsync(0, project, accepted.Revision - 1, e => e.EventCase == ProjectEvent.EventOneofCase.RunCompleted);
        var head = (await api.Projects(0).GetProjectAsync(new GetProjectRequest { Project = project }, api.Auth)).Revision;
        var before = api.Memory();

        using var stop = new CancellationTokenSource();
        var arrivals = Enumerable.Range(0, rounds).Select(_ => new long[watches]).ToArray();
        var open = new CountdownEvent(watches);
        var opening = Stopwatch.StartNew();
        var streams = Enumerable.Range(0, watches).Select(i => Task.Run(async () =>
        {
            // Resumed from just before the newest event: that event arriving proves the stream is registered.
            using var call = api.Projects(0).WatchProject(new WatchProjectRequest { Project = project, AfterRevision = head - 1 }, api.Auth, cancellationToken: stop.Token);
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync(stop.Token))
                {
                    if (e.Revision == head)
                    {
                        open.Signal();
                    }
                    else if (e.EventCase == ProjectEvent.EventOneofCase.IntentAccepted)
                    {
                        var round = e.Generation - accepted.Generation - 1;
                        if (round >= 0 && round < rounds)
                        {
                            arrivals[round][i] = Stopwatch.GetTimestamp();
                        }
                    }
                }
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        })).ToList();
        if (!open.Wait(TimeSpan.FromMinutes(5)))
        {
            Console.WriteLine($"only {watches - open.CurrentCount} of {watches} streams opened in 5 minutes");
            return 1;
        }

        Console.WriteLine($"{watches} streams open on {api.Nodes[0]} in {opening.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var with = api.Memory();
        var fanouts = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            await api.Projects(1 % api.Nodes.Length).ApplyProjectAsync(Api.Apply(project, $"nginx:1.{round}"), api.Auth);
            var returned = Stopwatch.GetTimestamp();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (arrivals[round].Any(t => t == 0) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            var reached = arrivals[round].Where(t => t != 0).Select(t => Stopwatch.GetElapsedTime(returned, t).TotalMilliseconds).ToList();
            Console.WriteLine($"round {round + 1}: {reached.Count} of {watches} streams got the intent; first {reached.Min():F0} ms, p50 {Percentile(reached, 50):F0} ms, all {reached.Max():F0} ms after the RPC returned");
            fanouts.Add(reached.Count == watches ? reached.Max() : double.PositiveInfinity);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Console.WriteLine($"time for an event to reach all {watches} streams: median {Percentile(fanouts, 50):F0} ms over {rounds} rounds");
        Console.WriteLine($"RSS before the streams: {before}");
        Console.WriteLine($"RSS with {watches} streams open: {with}");
        stop.Cancel();
        await Task.WhenAll(streams);
        return 0;
    }

    internal static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The nodes' channels (several HTTP/2 connections each: a thousand streams exceed one's limit) and the token.</summary>
    internal sealed class Api : IDisposable
    {
        private readonly GrpcChannel[] channels;

        public Api(ReconcilerMacro.Arguments arguments)
        {
            Nodes = arguments.Text("nodes", "http://127.0.0.1:7950").Split(',');
            Pids = arguments.Text("pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            Auth = new Metadata { { "authorization", "Bearer " + arguments.Text("token", "") } };
            channels = Nodes.Select(url => GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
                MaxReceiveMessageSize = 64 * 1024 * 1024,
            })).ToArray();
        }

        public string[] Nodes { get; }

        public int[] Pids { get; }

        public Metadata Auth { get; }

        public Projects.ProjectsClient Projects(int node) => new(channels[node]);

        /// <summary>Calls refused as UNAVAILABLE (a node too loaded to accept a connection) and retried.</summary>
        public int Retried => retried;

        private int retried;

        /// <summary><paramref name="call"/>, retried up to 5 times while <paramref name="node"/> answers UNAVAILABLE (reported).</summary>
        public async Task<T> RetryAsync<T>(int node, Func<Task<T>> call)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await call();
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < 5)
                {
                    Interlocked.Increment(ref retried);
                    Console.Error.WriteLine($"{Nodes[node]} unavailable ({e.Status.Detail}); retrying");
                    await Task.Delay(500);
                }
            }
        }

        public static ApplyProjectRequest Apply(string name, string image = "nginx:1.27")
        {
            var request = new ApplyProjectRequest();
            request.Files.Add(new SourceFile
            {
                Name = "nanokit.yml",
                Content = ByteString.CopyFromUtf8($"name: {name}\nruntime: docker\nservices:\n  db:\n    image: postgres:16\n  api:\n    image: {image}\n    depends_on: [db]\n"),
            });
            return request;
        }

        public static DateTime At(ProjectEvent e) => DateTime.Parse(e.At, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        /// <summary>The first event of <paramref name="project"/> after <paramref name="after"/> that matches, read from a watch.</summary>
        public async Task<ProjectEvent> FirstAsync(int node, string project, long after, Func<ProjectEvent, bool> match)
        {
            using var call = Projects(node).WatchProject(new WatchProjectRequest { Project = project, AfterRevision = after }, Auth, DateTime.UtcNow.AddMinutes(5));
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                if (match(e))
                {
                    return e;
                }
            }

            throw new InvalidOperationException($"the watch of {project} ended first");
        }

        /// <summary>Each node's resident memory now and at its peak (VmRSS, VmHWM), in MB.</summary>
        public string Memory() => string.Join("; ", Pids.Select((pid, i) => $"node {i}: {Status(pid, "VmRSS")} MB (peak {Status(pid, "VmHWM")} MB)"));

        public static long Status(int pid, string key)
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }

        public async Task<string> GetStringAsync(int node, string path)
        {
            using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            return await http.GetStringAsync(Nodes[node] + path);
        }

        public void Dispose()
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }
}
