using System.Diagnostics;
using System.Text.Json;

namespace Nanokit.Server.Tests;

/// <summary>
/// An independent client, @grpc/grpc-js with @grpc/proto-loader (interop/client.js, installed by scripts/provision.sh),
/// drives the shared cluster from the .proto alone: unary calls, a WatchProject stream, a deadline, a cancellation,
/// and the refusals. Missing node or packages fail the test: the interop claim is not skipped.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class InteropTests(ClusterFixture cluster)
{
    // gRPC status codes as every implementation numbers them.
    private const int Cancelled = 1;
    private const int InvalidArgument = 3;
    private const int DeadlineExceeded = 4;
    private const int NotFound = 5;
    private const int PermissionDenied = 7;
    private const int ResourceExhausted = 8;
    private const int Unauthenticated = 16;

    [Fact]
    public async Task A_grpc_js_client_applies_watches_and_reads_a_project_and_gets_every_refusal_code()
    {
        var result = await RunClientAsync(cluster.Nodes[1], "interop-js");
        var apply = result.GetProperty("apply");
        Assert.Equal(0, apply.GetProperty("code").GetInt32());
        Assert.True(apply.GetProperty("generation").GetInt64() >= 1);

        var watch = result.GetProperty("watch");
        Assert.True(watch.GetProperty("code").GetInt32() == 0, watch.ToString());
        Assert.True(watch.GetProperty("succeeded").GetBoolean());
        var events = watch.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal("intentAccepted", events[0].GetProperty("kind").GetString());
        Assert.Equal(apply.GetProperty("revision").GetInt64(), events[0].GetProperty("revision").GetInt64());
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "runStarted");
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "serviceProgress");
        Assert.Equal(
            Enumerable.Range(0, events.Count).Select(i => apply.GetProperty("revision").GetInt64() + i),
            events.Select(e => e.GetProperty("revision").GetInt64()));

        var get = result.GetProperty("get");
        Assert.Equal(0, get.GetProperty("code").GetInt32());
        Assert.Equal("Converged", get.GetProperty("phase").GetString());
        Assert.Contains(get.GetProperty("owner").GetString(), cluster.Nodes.Select(n => n.ClusterAddress));

        Assert.Equal(DeadlineExceeded, result.GetProperty("deadline").GetProperty("code").GetInt32());
        var cancelled = result.GetProperty("cancelled");
        Assert.Equal(Cancelled, cancelled.GetProperty("code").GetInt32());
        Assert.True(cancelled.GetProperty("received").GetInt32() >= 1);
        Assert.Equal(Unauthenticated, result.GetProperty("unauthenticated").GetProperty("code").GetInt32());
        Assert.Equal(PermissionDenied, result.GetProperty("permissionDenied").GetProperty("code").GetInt32());
        Assert.Equal(NotFound, result.GetProperty("notFound").GetProperty("code").GetInt32());
        var invalid = result.GetProperty("invalid");
        Assert.Equal(InvalidArgument, invalid.GetProperty("code").GetInt32());
        var lines = invalid.GetProperty("details").GetString()!.Split('\n');
        Assert.True(lines.Length >= 2, invalid.ToString());
        Assert.All(lines, line => Assert.Matches(@"^nanokit\.yml:\d+:\d+: ", line));
        Assert.Equal(ResourceExhausted, result.GetProperty("tooLarge").GetProperty("code").GetInt32());
    }

    private static async Task<JsonElement> RunClientAsync(ServerNode node, string project)
    {
        var folder = Metadata("InteropDirectory");
        Assert.True(File.Exists(Path.Combine(folder, "node_modules", "@grpc", "grpc-js", "package.json")), $"@grpc/grpc-js is not installed in {folder}: run scripts/provision.sh");
        Assert.True(File.Exists(Path.Combine(folder, "node_modules", "@grpc", "proto-loader", "package.json")), $"@grpc/proto-loader is not installed in {folder}: run scripts/provision.sh");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "client.js", $"127.0.0.1:{node.ApiPort}", Metadata("ProtoRoot"), Metadata("HttpRuleProtos"), TestFiles.WriteToken, TestFiles.ReadToken, project })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node client.js exited {process.ExitCode}:\n{await stderr}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }

    private static string Metadata(string key) => typeof(InteropTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
