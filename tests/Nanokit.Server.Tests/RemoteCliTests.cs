using System.Text.Json;
using Nanokit.Cli;

namespace Nanokit.Server.Tests;

/// <summary><c>nkapp --server</c> against the shared three-node cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RemoteCliTests(ClusterFixture cluster) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-remote-cli-").FullName;

    [Fact]
    public async Task Up_follows_the_project_until_it_converged_status_names_the_owner_and_down_undeploys_it()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), TestFiles.Project("remote-cli"));
        var server = cluster.Nodes[1].Url;

        var up = await RunAsync("--server", server, "--token", TestFiles.WriteToken, "up");
        Assert.True(up.Exit == 0, up.Error);
        Assert.Contains("remote-cli: generation 1 accepted", up.Out);
        Assert.Contains("converged", up.Out);

        var status = await RunAsync("status", "--format", "json", "--server", server, "--token", TestFiles.ReadToken);
        Assert.True(status.Exit == 0, status.Error);
        using var json = JsonDocument.Parse(status.Out);
        Assert.Equal("Converged", json.RootElement.GetProperty("phase").GetString());
        Assert.Contains(json.RootElement.GetProperty("owner").GetString(), cluster.Nodes.Select(n => n.ClusterAddress));

        var down = await RunAsync("down", "--server", server, "--token", TestFiles.WriteToken);
        Assert.True(down.Exit == 0, down.Error);
        Assert.Contains("remote-cli: generation 2 (undeployed) accepted", down.Out);
    }

    [Fact]
    public async Task Up_with_NANOKIT_SERVER_returns_at_once_with_no_wait_and_refuses_a_read_token_with_exit_1()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), TestFiles.Project("remote-no-wait"));
        var environment = new Dictionary<string, string> { ["NANOKIT_SERVER"] = cluster.Nodes[2].Url, ["NANOKIT_TOKEN"] = TestFiles.WriteToken };
        var accepted = await RunAsync(environment, "up", "--no-wait");
        Assert.True(accepted.Exit == 0, accepted.Error);
        Assert.Contains("remote-no-wait: generation 1 accepted", accepted.Out);
        Assert.DoesNotContain("converged", accepted.Out);

        environment["NANOKIT_TOKEN"] = TestFiles.ReadToken;
        var refused = await RunAsync(environment, "up");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("PermissionDenied", refused.Error);
    }

    [Fact]
    public async Task Up_against_a_server_prints_every_located_error_of_an_invalid_file_and_exits_1()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: remote-broken
            services:
              api:
                image: nginx
                depends_on: [nowhere]
                restart: sometimes
            """);
        var result = await RunAsync("up", "--server", cluster.Nodes[0].Url, "--token", TestFiles.WriteToken);
        Assert.Equal(1, result.Exit);
        var lines = result.Error.Trim().Split('\n');
        Assert.All(lines[..^1], line => Assert.StartsWith("nanokit.yml:", line));
        Assert.Equal($"{lines.Length - 1} errors", lines[^1]);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private Task<(int Exit, string Out, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private async Task<(int Exit, string Out, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, environment));
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
