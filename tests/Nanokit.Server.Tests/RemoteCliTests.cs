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
        // Embedded up's lines, from the project's events: the plan, a step line per service, the summary.
        Assert.Contains("remote-cli: generation 1 (apply): 2 to add, 0 to change, 0 to destroy", up.Out);
        Assert.Contains("  layer 0: create db[1]", up.Out);
        Assert.Matches(@"\[ *\d+\.\ds\] api +succeeded", up.Out);
        Assert.Matches(@"remote-cli: generation 1 converged in \d+\.\ds", up.Out);

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
    public async Task Up_that_times_out_says_where_the_project_is_stored_generation_phase_owner_and_the_revisions_seen()
    {
        // api waits for migrate to complete, which a simulated replica never does: the run cannot converge in time.
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: remote-stuck
            services:
              migrate:
                image: busybox:1
              api:
                image: nginx:1.27
                depends_on:
                  migrate:
                    condition: service_completed_successfully
            """);
        string[] server = ["--server", cluster.Nodes[0].Url, "--token", TestFiles.WriteToken];

        var up = await RunAsync(["up", "--timeout", "3s", .. server]);

        Assert.Equal(1, up.Exit);
        Assert.Contains("timed out after 3s waiting for generation 1 to converge; the cluster keeps converging it", up.Error);
        Assert.Matches(
            @"remote-stuck: stored generation 1 \(accepted \S+\), phase (Pending|Reconciling), observed generation 0, owner \S+.*, status updated \S+; events up to revision \d+, this watch received up to \d+\n",
            up.Error);
        Assert.Matches(@"remote-stuck: (no node has reported starting a run of generation 1|akka\.tcp://\S+ is running generation 1)", up.Error);

        var down = await RunAsync(["down", .. server]);
        Assert.True(down.Exit == 0, down.Error);
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

    [Fact]
    public async Task Plan_and_drift_against_a_server_read_the_owners_observed_state_with_the_embedded_exit_codes()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), TestFiles.Project("remote-plan"));
        string[] server = ["--server", cluster.Nodes[0].Url, "--token", TestFiles.ReadToken];

        var before = await RunAsync(["plan", "--detailed-exitcode", .. server]);
        Assert.True(before.Exit == 2, before.Out + before.Error);
        Assert.StartsWith("Runtime: docker", before.Out);
        Assert.Contains("2 to add, 0 to change, 0 to destroy", before.Out);
        var unknown = await RunAsync(["drift", .. server]);
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("NotFound", unknown.Error);

        var up = await RunAsync("up", "--server", cluster.Nodes[1].Url, "--token", TestFiles.WriteToken, "--timeout", "60s");
        Assert.True(up.Exit == 0, up.Error);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            // The owner records its observations beside the run; the plan reads them from the store.
            var after = await RunAsync(["plan", "--detailed-exitcode", .. server]);
            Assert.True(after.Exit == 0, after.Out + after.Error);
        });
        var drift = await RunAsync(["drift", .. server]);
        Assert.True(drift.Exit == 0, drift.Error);
        Assert.Contains("remote-plan: no drift; the runtime matches generation 1", drift.Out);

        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), TestFiles.Project("remote-plan", "nginx:1.28"));
        var changed = await RunAsync(["plan", "--detailed-exitcode", "--format", "json", .. server]);
        Assert.True(changed.Exit == 2, changed.Out + changed.Error);
        using var json = JsonDocument.Parse(changed.Out);
        var actions = json.RootElement.GetProperty("layers").EnumerateArray().SelectMany(l => l.GetProperty("actions").EnumerateArray())
            .ToDictionary(a => a.GetProperty("service").GetString()!, a => a.GetProperty("action").GetString());
        Assert.Equal("NO_OP", actions["db"]);
        Assert.NotEqual("NO_OP", actions["api"]);
        var missing = await RunAsync(["plan", "nowhere", .. server]);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no such service: nowhere", missing.Error);
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
