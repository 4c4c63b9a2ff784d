namespace Nanokit.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly CliRun cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Validate_exits_0_and_names_the_project_for_a_valid_file()
    {
        cli.Write("nanokit.yml", "name: shop\nservices:\n  db:\n    command: [sleep, '1']\n  api:\n    command: [sleep, '1']\n    depends_on: [db]\n");

        var (exit, output, error) = await cli.RunAsync("validate");

        Assert.Equal(0, exit);
        Assert.Equal("shop: configuration is valid (2 services in 2 layers)", output.Trim());
        Assert.Empty(error);
    }

    [Fact]
    public async Task Validate_reports_every_error_with_its_location_and_exits_1()
    {
        var file = cli.Write("nanokit.yml", "services:\n  api:\n    command: x\n    deploy: {replicas: -1}\n  web:\n    command: y\n    depends_on: [nosuch]\n");

        var (exit, output, error) = await cli.RunAsync("validate");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        var lines = error.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{file}:4:24: ", lines[0]);
        Assert.StartsWith($"{file}:7:18: ", lines[1]);
        Assert.Equal("2 errors", lines[2]);
    }

    [Fact]
    public async Task Validate_reports_a_dependency_cycle_with_its_path()
    {
        var file = cli.Write("nanokit.yml", "services:\n  a:\n    command: x\n    depends_on: [b]\n  b:\n    command: y\n    depends_on: [a]\n");

        var (exit, _, error) = await cli.RunAsync("validate");

        Assert.Equal(1, exit);
        Assert.Contains($"{file}:4:18: cycle: a -> b -> a", error);
    }

    [Fact]
    public async Task Validate_takes_the_environment_from_NANOKIT_ENV_when_no_flag_is_given()
    {
        cli.Write("nanokit.yml", "services:\n  api:\n    command: x\nenvironments:\n  dev:\n    services:\n      api:\n        deploy: {replicas: -1}\n");

        Assert.Equal(0, (await cli.RunAsync("validate")).Exit);
        Assert.Equal(1, (await cli.RunAsync(new Dictionary<string, string> { ["NANOKIT_ENV"] = "dev" }, "validate")).Exit);
        Assert.Equal(1, (await cli.RunAsync("validate", "--env", "dev")).Exit);
    }

    [Fact]
    public async Task Validate_fails_cleanly_when_the_file_does_not_exist()
    {
        var (exit, output, error) = await cli.RunAsync("validate", "-f", "missing.yml");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains("missing.yml", error);
    }
}
