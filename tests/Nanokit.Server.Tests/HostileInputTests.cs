using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Events;
using Nanokit.Server.Intents;
using Nanokit.Server.Runtime;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>
/// What a hostile or broken client sends the API: bodies that are not protobuf, frames that lie about their length,
/// messages at and over the size limit, unusable file names and contents, floods of watches and connections that
/// vanish mid-stream. Each gets a deliberate status, and the node keeps serving everyone else. (The plain size limit,
/// the two-error invalid file, the watch limit and a cancelled watch are in ClusterApiTests and WatchTests.)
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HostileInputTests(ClusterFixture cluster)
{
    /// <summary>nanokit.server.limits.max-request-bytes as shipped (hocon/server.conf).</summary>
    private const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How much a node's resident memory may grow over a flood of thousands of refused and closed watches: far above
    /// what the streams themselves need, far below what keeping anything per stream (or per name) would cost.
    /// </summary>
    private const long FloodRssGrowthBoundMb = 64;

    public static TheoryData<string, string> Garbage => new()
    {
        // Field 1 with wire type 7, which does not exist.
        { "ApplyProject", "0f" },
        // Field 1 (files, length-delimited) claiming 127 bytes of which 2 follow.
        { "ApplyProject", "0a7f0102" },
        // A varint of eleven bytes (at most ten are allowed).
        { "GetProject", "08ffffffffffffffffffff01" },
        // Field 1 (project, a string) holding bytes that are not UTF-8.
        { "GetProject", "0a02c328" },
        { "WatchProject", "0f" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task A_body_that_is_not_the_methods_protobuf_message_is_INVALID_ARGUMENT_and_the_node_keeps_serving(string method, string hex)
    {
        var node = cluster.Nodes[1];
        var (status, detail) = await RawCallAsync(node, method, Frame(Convert.FromHexString(hex)));
        Assert.True(status == StatusCode.InvalidArgument, $"{method} with {hex}: {status} \"{detail}\"");
        Assert.Contains("not a valid", detail);
        await AssertServingAsync(node);
    }

    [Fact]
    public async Task A_frame_declaring_more_than_the_limit_is_RESOURCE_EXHAUSTED_without_its_body_being_sent()
    {
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), int.MaxValue);
        var (status, detail) = await RawCallAsync(cluster.Nodes[0], "ApplyProject", [.. header, 1, 2, 3]);
        Assert.True(status == StatusCode.ResourceExhausted, $"{status} \"{detail}\"");
        await AssertServingAsync(cluster.Nodes[0]);
    }

    [Fact]
    public async Task A_frame_cut_short_is_an_error_status_and_not_a_hang()
    {
        var frame = Frame(new GetProjectRequest { Project = "cut-short" }.ToByteArray());
        var (status, detail) = await RawCallAsync(cluster.Nodes[2], "GetProject", frame[..^3]);
        Assert.True(status is StatusCode.InvalidArgument or StatusCode.Internal, $"{status} \"{detail}\"");
        await AssertServingAsync(cluster.Nodes[2]);
    }

    [Fact]
    public async Task A_request_of_exactly_the_documented_limit_is_accepted_and_one_byte_more_is_RESOURCE_EXHAUSTED()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var atLimit = Padded("at-limit", MaxRequestBytes);
        Assert.Equal(MaxRequestBytes, atLimit.CalculateSize());
        var accepted = await client.ApplyProjectAsync(atLimit, TestFiles.As(TestFiles.WriteToken));
        Assert.Equal("at-limit", accepted.Project);

        var over = Padded("over-limit", MaxRequestBytes + 1);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(over, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Unusable_file_names_and_binary_file_contents_are_INVALID_ARGUMENT_naming_the_file()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[1].Channel);
        foreach (var name in new[] { new string('n', 300) + ".yml", "nano\0kit.yml", "nanokit\n.yml" })
        {
            var request = new ApplyProjectRequest();
            request.Files.Add(new SourceFile { Name = name, Content = ByteString.CopyFromUtf8(TestFiles.Project("bad-name")) });
            var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
            Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{name.Length} chars: {error.Status}");
            Assert.Contains("file name", error.Status.Detail);
        }

        var binary = new ApplyProjectRequest();
        binary.Files.Add(new SourceFile { Name = "nanokit.yml", Content = ByteString.CopyFrom([0xff, 0xfe, 0x00, 0x80, 0x1b, 0x5b, 0x32, 0x4a, 0xc3]) });
        var invalid = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(binary, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.True(invalid.StatusCode == StatusCode.InvalidArgument, invalid.Status.ToString());
        Assert.StartsWith("nanokit.yml", invalid.Status.Detail);
    }

    [Fact]
    public async Task Thousands_of_files_in_one_request_are_refused_before_any_is_written()
    {
        var request = TestFiles.Apply(TestFiles.Project("many-files"));
        for (var i = 0; i < 5000; i++)
        {
            request.Files.Add(new SourceFile { Name = $"override-{i}.yml", Content = ByteString.CopyFromUtf8("services: {}\n") });
        }

        var client = new Projects.ProjectsClient(cluster.Nodes[2].Channel);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.True(error.StatusCode == StatusCode.InvalidArgument, error.Status.ToString());
        Assert.Contains("files", error.Status.Detail);
    }

    [Fact]
    public async Task Errors_in_a_file_and_its_override_all_come_back_located_in_one_INVALID_ARGUMENT()
    {
        var request = TestFiles.Apply("""
            name: two-files
            services:
              api:
                image: nginx
                restart: sometimes
            """);
        request.Files.Add(new SourceFile { Name = "nanokit.override.yml", Content = ByteString.CopyFromUtf8("""
            services:
              api:
                depends_on: [nowhere]
                replicas: many
            """) });
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var lines = error.Status.Detail.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("nanokit.yml:5:", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("nanokit.override.yml:", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Matches(@"^nanokit(\.override)?\.yml:\d+:\d+: ", line));
    }

    [Fact]
    public async Task A_flood_of_watches_of_names_never_applied_is_NOT_FOUND_each_and_leaves_the_nodes_memory_bounded()
    {
        var node = cluster.Nodes[2];
        var client = new Projects.ProjectsClient(node.Channel);
        var before = node.ResidentMegabytes();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < 3000; i = Interlocked.Increment(ref next))
            {
                using var call = client.WatchProject(new WatchProjectRequest { Project = $"probe-{i}-{Guid.NewGuid():N}" }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(30));
                var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
                Assert.Equal(StatusCode.NotFound, error.StatusCode);
            }
        })));

        var grown = node.ResidentMegabytes() - before;
        Assert.True(grown < FloodRssGrowthBoundMb, $"RSS grew {grown} MB over 3000 refused watches ({before} MB before)");
        await AssertServingAsync(node);
    }

    [Fact]
    public async Task Watches_of_projects_that_come_and_go_leave_nothing_behind_in_the_nodes_feed()
    {
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Database=unused");
        var settings = ServerSettings.From(
            new ServerOptions { Store = "Host=127.0.0.1", TokenFile = "unused" },
            Akka.Configuration.ConfigurationFactory.ParseString("nanokit.server.watch.max-streams = 100000").WithFallback(ServerSettings.Shipped));
        var feed = new EventFeed(new IntentStore(dataSource, "intents", "events", 1), new EventLog(dataSource, "events", 1000, new ObservedStore(dataSource, "node-a", TimeSpan.Zero)), settings, NullLogger<EventFeed>.Instance);

        var kept = feed.Subscribe("kept");
        for (var i = 0; i < 10_000; i++)
        {
            using var gone = feed.Subscribe($"gone-{i}");
        }

        Assert.Equal(1, feed.WatchedProjects);
        kept.Dispose();
        Assert.Equal(0, feed.WatchedProjects);
    }

    [Fact]
    public async Task Watches_whose_connections_drop_without_a_word_free_their_places_on_the_node()
    {
        var node = cluster.Nodes[0];
        var client = new Projects.ProjectsClient(node.Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("dropped")), TestFiles.As(TestFiles.WriteToken));
        var sockets = new List<Socket>();
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                lock (sockets)
                {
                    sockets.Add(socket);
                }

                return new NetworkStream(socket, ownsSocket: false);
            },
        };
        using (var vanishing = GrpcChannel.ForAddress(node.Url, new GrpcChannelOptions { HttpHandler = handler }))
        {
            var calls = new List<AsyncServerStreamingCall<ProjectEvent>>();
            var hostile = new Projects.ProjectsClient(vanishing);
            for (var i = 0; i < TestFiles.MaxWatches; i++)
            {
                var call = hostile.WatchProject(new WatchProjectRequest { Project = "dropped", AfterRevision = accepted.Revision - 1 }, TestFiles.As(TestFiles.ReadToken));
                Assert.True(await call.ResponseStream.MoveNext());
                calls.Add(call);
            }

            Assert.Equal(StatusCode.ResourceExhausted, await WatchRefusalAsync(client, "dropped"));

            // A reset, not a goodbye: no RST_STREAM, no GOAWAY, no FIN.
            lock (sockets)
            {
                foreach (var socket in sockets)
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
            }
        }

        var reopened = new List<AsyncServerStreamingCall<ProjectEvent>>();
        try
        {
            await Eventually.Async(TimeSpan.FromSeconds(20), async () =>
            {
                var call = client.WatchProject(new WatchProjectRequest { Project = "dropped", AfterRevision = accepted.Revision - 1 }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(60));
                Assert.True(await call.ResponseStream.MoveNext());
                reopened.Add(call);
                Assert.Equal(TestFiles.MaxWatches, reopened.Count);
            });
        }
        finally
        {
            foreach (var call in reopened)
            {
                call.Dispose();
            }
        }
    }

    /// <summary>An ApplyProjectRequest of exactly <paramref name="size"/> bytes: a valid file padded with a YAML comment.</summary>
    private static ApplyProjectRequest Padded(string project, int size)
    {
        var yaml = TestFiles.Project(project) + "\n#";
        var request = TestFiles.Apply(yaml);
        var padding = size - request.CalculateSize();
        // The content's length prefix grows with it; pad, then trim what the longer prefix added.
        request = TestFiles.Apply(yaml + new string('x', padding));
        request = TestFiles.Apply(yaml + new string('x', padding - (request.CalculateSize() - size)));
        return request;
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>POSTs <paramref name="body"/> as a gRPC request over h2c and reads the status the node answers.</summary>
    private static async Task<(StatusCode Status, string Detail)> RawCallAsync(ServerNode node, string method, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/nanokit.v1.Projects/{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestFiles.WriteToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync(timeout.Token);
        var headers = response.Headers.Contains("grpc-status") ? response.Headers : response.TrailingHeaders;
        var status = (StatusCode)int.Parse(headers.GetValues("grpc-status").Single());
        var detail = headers.TryGetValues("grpc-message", out var message) ? Uri.UnescapeDataString(message.Single()) : "";
        return (status, detail);
    }

    private static async Task<StatusCode> WatchRefusalAsync(Projects.ProjectsClient client, string project)
    {
        using var call = client.WatchProject(new WatchProjectRequest { Project = project }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(20));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        return error.StatusCode;
    }

    private static async Task AssertServingAsync(ServerNode node)
    {
        var projects = await new Projects.ProjectsClient(node.Channel).ListProjectsAsync(new ListProjectsRequest { PageSize = 1 }, TestFiles.As(TestFiles.ReadToken));
        Assert.NotNull(projects);
        Assert.False(node.HasExited, node.Output);
    }
}
