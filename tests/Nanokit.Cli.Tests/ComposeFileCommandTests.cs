namespace Nanokit.Cli.Tests;

/// <summary>Compose files given to nkapp unchanged: the runtime they get, keys a runtime cannot honour, the deprecated runtime: mapping.</summary>
public sealed class ComposeFileCommandTests : IDisposable
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n    restart: unless-stopped\n    cap_add: [NET_ADMIN]\n    networks: [front]\nnetworks:\n  front: {}\n";

    private readonly CliRun cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task A_compose_file_with_images_validates_and_config_shows_it_runs_on_docker()
    {
        cli.Write("compose.yml", Compose);

        var (exit, output, error) = await cli.RunAsync("config");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("runtime: docker\n", output, StringComparison.Ordinal);
        Assert.Contains("    restart: unless-stopped\n", output, StringComparison.Ordinal);
        Assert.Contains("    networks:\n      front: null\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_refuses_container_keys_on_the_local_runtime_naming_the_runtime_and_the_place()
    {
        var file = cli.Write("compose.yml", "runtime: local\n" + Compose.Replace("    image: nginx:1.27\n", "    command: [sleep, '1']\n", StringComparison.Ordinal));

        var (exit, _, error) = await cli.RunAsync("validate");

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                $"{file}:6:5: \"cap_add\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                $"{file}:7:5: \"networks\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "2 errors",
            ],
            error.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_deprecated_runtime_mapping_loads_with_a_located_warning_on_stderr()
    {
        var file = cli.Write("nanokit.yml", "services:\n  web:\n    command: [sleep, '1']\n    runtime: {}\n");

        var (exit, output, error) = await cli.RunAsync("config");

        Assert.Equal(0, exit);
        Assert.Equal($"{file}:4:5: warning: a runtime: mapping of provider options is deprecated (Compose's runtime: is the OCI runtime); rename it to x-nanokit-runtime:", error.Trim());
        Assert.DoesNotContain("    x-nanokit-runtime:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("    runtime:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_names_the_runtime_it_chose()
    {
        cli.Write("nanokit.yml", "services:\n  web:\n    command: [sleep, '1']\n");

        var (exit, output, _) = await cli.RunAsync("plan", "--observed", cli.Write("observed.json", "{\"replicas\": []}"));

        Assert.Equal(0, exit);
        Assert.StartsWith("Runtime: local (the default: no runtime: in the file, and a service declares no image)\n\n", output, StringComparison.Ordinal);
    }
}
