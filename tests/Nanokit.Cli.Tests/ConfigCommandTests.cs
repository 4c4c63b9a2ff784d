using System.Text.Json;

namespace Nanokit.Cli.Tests;

public sealed class ConfigCommandTests : IDisposable
{
    private readonly CliRun cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Config_json_prints_the_resolved_project_with_interpolation_and_merge_applied()
    {
        cli.Write(".env", "TAG=2\n");
        cli.Write("nanokit.yml", "name: shop\nruntime: docker\nservices:\n  api:\n    image: shop/api:${TAG}\n    environment: [A=1]\n");
        cli.Write("override.yml", "services:\n  api:\n    environment: {B: '2'}\n    deploy: {replicas: 3}\n");

        var (exit, output, _) = await cli.RunAsync("config", "-f", "nanokit.yml", "-f", "override.yml", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var api = json.RootElement.GetProperty("services").GetProperty("api");
        Assert.Equal("shop", json.RootElement.GetProperty("name").GetString());
        Assert.Equal("shop/api:2", api.GetProperty("image").GetString());
        Assert.Equal("1", api.GetProperty("environment").GetProperty("A").GetString());
        Assert.Equal("2", api.GetProperty("environment").GetProperty("B").GetString());
        Assert.Equal(3, api.GetProperty("deploy").GetProperty("replicas").GetInt32());
    }

    [Fact]
    public async Task Config_masks_secret_values_unless_asked_to_show_them()
    {
        cli.Write("nanokit.yml", "services:\n  db:\n    command: x\n    environment: {DB_PASSWORD: hunter2, PLAIN: visible}\n");

        var masked = (await cli.RunAsync("config", "--format", "json")).Out;
        var shown = (await cli.RunAsync("config", "--format", "json", "--show-secrets")).Out;

        Assert.DoesNotContain("hunter2", masked);
        Assert.Contains("visible", masked);
        Assert.Contains("hunter2", shown);
    }

    [Fact]
    public async Task Config_hash_ignores_replicas_and_changes_with_the_command()
    {
        cli.Write("a.yml", "services:\n  api:\n    command: [sleep, '1']\n");
        cli.Write("b.yml", "services:\n  api:\n    command: [sleep, '1']\n    deploy: {replicas: 4}\n");
        cli.Write("c.yml", "services:\n  api:\n    command: [sleep, '2']\n");

        var a = (await cli.RunAsync("config", "-f", "a.yml", "--hash", "*")).Out;
        var b = (await cli.RunAsync("config", "-f", "b.yml", "--hash", "api")).Out;
        var c = (await cli.RunAsync("config", "-f", "c.yml", "--hash", "api")).Out;

        Assert.Matches("^api [0-9a-f]{64}\n$", a.Replace("\r", ""));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Config_hash_of_an_unknown_service_is_an_error()
    {
        cli.Write("nanokit.yml", "services:\n  api:\n    command: x\n");

        var (exit, _, error) = await cli.RunAsync("config", "--hash", "web");

        Assert.Equal(1, exit);
        Assert.Contains("no such service: web", error);
    }
}
