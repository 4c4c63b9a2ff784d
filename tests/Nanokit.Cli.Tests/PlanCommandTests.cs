using System.Text.Json;

namespace Nanokit.Cli.Tests;

public sealed class PlanCommandTests : IDisposable
{
    private const string TwoLayers = "name: shop\nservices:\n  db:\n    command: [sleep, '1']\n  api:\n    command: [sleep, '1']\n    depends_on: [db]\n";

    private readonly CliRun cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Plan_against_nothing_deployed_creates_every_replica_in_layer_order()
    {
        cli.Write("nanokit.yml", TwoLayers);

        var (exit, output, _) = await cli.RunAsync("plan");

        Assert.Equal(0, exit);
        Assert.True(output.IndexOf("+ create db[1]", StringComparison.Ordinal) < output.IndexOf("+ create api[1]", StringComparison.Ordinal));
        Assert.Contains("Plan: 2 to add, 0 to change, 0 to destroy.", output);
    }

    [Fact]
    public async Task Plan_detailed_exitcode_is_2_with_changes_and_0_without()
    {
        cli.Write("nanokit.yml", TwoLayers);
        Assert.Equal(2, (await cli.RunAsync("plan", "--detailed-exitcode")).Exit);

        var hashes = (await cli.RunAsync("config", "--hash", "*")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Select(parts => $"{{\"service\":\"{parts[0]}\",\"replica\":1,\"configHash\":\"{parts[1]}\",\"state\":\"running\"}}");
        cli.Write("observed.json", $"{{\"replicas\":[{string.Join(",", hashes)}]}}");

        var (exit, output, _) = await cli.RunAsync("plan", "--observed", "observed.json", "--detailed-exitcode");

        Assert.Equal(0, exit);
        Assert.Contains("No changes.", output);
    }

    [Fact]
    public async Task Plan_deletes_orphans_and_restarts_exited_replicas_from_the_observed_file()
    {
        cli.Write("nanokit.yml", TwoLayers);
        var dbHash = (await cli.RunAsync("config", "--hash", "db")).Out.Split(' ')[1].Trim();
        cli.Write("observed.json", $$"""
            {"replicas": [
              {"service": "db", "replica": 1, "configHash": "{{dbHash}}", "state": "exited", "exitCode": 137},
              {"service": "cache", "replica": 1, "configHash": "x", "state": "running"}
            ]}
            """);

        var (exit, output, _) = await cli.RunAsync("plan", "--observed", "observed.json", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var actions = json.RootElement.GetProperty("layers").EnumerateArray()
            .SelectMany(layer => layer.GetProperty("actions").EnumerateArray())
            .Select(a => $"{a.GetProperty("action").GetString()} {a.GetProperty("service").GetString()}")
            .ToList();
        Assert.Contains("DELETE cache", actions);
        Assert.Contains("CREATE api", actions);
        Assert.DoesNotContain("NO_OP db", actions);
    }

    [Fact]
    public async Task Plan_reports_a_located_error_for_a_malformed_observed_file()
    {
        cli.Write("nanokit.yml", TwoLayers);
        var observed = cli.Write("observed.json", "{\"replicas\": [\n  {\"service\": \"db\", \"replica\": 1, \"configHash\": \"x\", \"state\": \"sleeping\"}\n]}");

        var (exit, output, error) = await cli.RunAsync("plan", "--observed", "observed.json");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains($"{observed}:2:", error);
        Assert.Contains("\"state\" must be one of running, exited, unhealthy, missing", error);
    }

    [Fact]
    public async Task Plan_of_named_services_includes_their_dependencies_only()
    {
        cli.Write("nanokit.yml", TwoLayers + "  web:\n    command: [sleep, '1']\n");

        var (exit, output, _) = await cli.RunAsync("plan", "api");

        Assert.Equal(0, exit);
        Assert.Contains("db[1]", output);
        Assert.Contains("api[1]", output);
        Assert.DoesNotContain("web[1]", output);
    }

    [Fact]
    public async Task Plan_of_an_unknown_service_is_an_error()
    {
        cli.Write("nanokit.yml", TwoLayers);

        var (exit, _, error) = await cli.RunAsync("plan", "nosuch");

        Assert.Equal(1, exit);
        Assert.Contains("no such service: nosuch", error);
    }
}
