using System.Text.Json;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// <c>nkapp --server URL ps</c> and <c>exec</c> against the shared three-node cluster on the private dockerd, driven
/// through nkapp and gRPC only; what runs is checked on the daemon.
/// </summary>
[Collection(PrivateClusterCollection.Name)]
public sealed class RemoteForegroundTests(PrivateCluster cluster) : IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-remote-foreground-").FullName;

    [Fact]
    public Task Ps_over_the_server_lists_the_owners_replicas_with_embedded_ps_columns_all_and_json() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-ps";
        var nodes = cluster.Live;
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(name));
        string[] read = ["--server", nodes[2].Url, "--token", TestFiles.ReadToken];
        string[] write = ["--server", nodes[0].Url, "--token", TestFiles.WriteToken];

        var never = await NkappAsync(["ps", .. read]);
        Assert.Equal(1, never.Exit);
        Assert.Contains("NotFound", never.Error);

        var up = await NkappAsync(["up", "--timeout", "120s", .. write]);
        Assert.True(up.Exit == 0, up.Out + up.Error);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            var ps = await NkappAsync(["ps", .. read]);
            Assert.True(ps.Exit == 0, ps.Error);
            var lines = ps.Out.TrimEnd().Split('\n');
            Assert.Matches(@"^NAME +SERVICE +STATE +HEALTH +PORTS$", lines[0]);
            Assert.Equal(
                [$"{name}-api-1 api running", $"{name}-db-1 db running"],
                lines[1..].Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        });

        // A stopped service is gone from ps, and ps -a shows it as embedded ps does: "stopped".
        var stop = await NkappAsync(["stop", "api", .. write]);
        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            var ps = await NkappAsync(["ps", .. read]);
            Assert.True(ps.Exit == 0, ps.Error);
            Assert.DoesNotContain($"{name}-api-1", ps.Out);
            Assert.Contains($"{name}-db-1", ps.Out);

            var all = await NkappAsync(["ps", "-a", "--format", "json", .. read]);
            Assert.True(all.Exit == 0, all.Error);
            using var json = JsonDocument.Parse(all.Out);
            var rows = json.RootElement.EnumerateArray().Select(r => (r.GetProperty("name").GetString(), r.GetProperty("service").GetString(), r.GetProperty("state").GetString(), r.GetProperty("health").GetString(), r.GetProperty("ports").GetString())).ToList();
            Assert.Equal([($"{name}-api-1", "api", "stopped", "", ""), ($"{name}-db-1", "db", "running", "", "")], rows);
        });

        var only = await NkappAsync(["ps", "-a", "db", .. read]);
        Assert.True(only.Exit == 0, only.Error);
        Assert.DoesNotContain("api", only.Out);

        var down = await NkappAsync(["down", .. write]);
        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.Empty(await PrivateDocker.RunningAsync(name));
    });

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private async Task<(int Exit, string Out, string Error)> NkappAsync(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
