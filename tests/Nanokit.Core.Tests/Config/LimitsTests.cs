using System.Text;
using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Every size a file can ask for is bounded, and crossing a bound is a located error, not gigabytes of plan.</summary>
public sealed class LimitsTests
{
    private static readonly LoadLimits Small = LoadLimits.Default with
    {
        Services = 3, Replicas = 10, EnvironmentEntries = 2, ProjectEnvironmentEntries = 5, PublishedPorts = 100,
    };

    private static string[] Errors(string yaml, LoadLimits limits) =>
        Load.ErrorsOf(() => ProjectLoader.Parse([("nanokit.yml", yaml)], Load.Options() with { Limits = limits }));

    [Theory]
    [InlineData("    deploy: {replicas: 1000000000}\n", "nanokit.yml:4:24: deploy.replicas is 1000000000; a service may have at most 1000 replicas")]
    [InlineData("    deploy: {replicas: 1001}\n", "nanokit.yml:4:24: deploy.replicas is 1001; a service may have at most 1000 replicas")]
    [InlineData("    scale: 1000000000\n", "nanokit.yml:4:12: scale is 1000000000; a service may have at most 1000 replicas")]
    public void Replicas_above_the_limit_are_a_located_error(string deploy, string expected) =>
        Assert.Equal([expected], Load.Errors("services:\n  web:\n    command: run\n" + deploy));

    [Fact]
    public void A_service_may_have_exactly_the_limit_of_replicas() =>
        Assert.Equal(1000, Load.Service("services:\n  web:\n    command: run\n    deploy: {replicas: 1000}\n").Replicas);

    [Fact]
    public void More_services_than_the_limit_are_one_error_at_the_services_key() =>
        Assert.Equal(["nanokit.yml:1:1: 4 services; a project may define at most 3"],
            Errors("services:\n  a: {command: x}\n  b: {command: x}\n  c: {command: x}\n  d: {command: x}\n", Small));

    [Fact]
    public void The_replicas_of_all_services_together_are_bounded() =>
        Assert.Equal(["nanokit.yml:3:3: service \"b\" brings the replicas of the project to 12; a project may run at most 10"],
            Errors("services:\n  a: {command: x, scale: 6}\n  b: {command: x, scale: 6}\n", Small));

    [Fact]
    public void The_variables_of_one_service_are_bounded_across_env_file_and_environment() =>
        Assert.Equal(["nanokit.yml:3:5: 3 environment variables; a service may have at most 2"],
            Errors("services:\n  a:\n    environment: {A: 1, B: 2, C: 3}\n    command: x\n", Small));

    [Fact]
    public void The_variables_of_all_services_together_are_bounded() =>
        Assert.Equal(["nanokit.yml:4:3: service \"c\" brings the environment variables of the project to 6; a project may set at most 5"],
            Errors("services:\n  a: {command: x, environment: {A: 1, B: 2}}\n  b: {command: x, environment: {A: 1, B: 2}}\n  c: {command: x, environment: {A: 1, B: 2}}\n", Small));

    [Fact]
    public void Port_ranges_are_counted_expanded_and_the_project_stops_at_the_entry_that_crosses_the_limit() =>
        Assert.Equal(["nanokit.yml:3:42: ports: with ranges expanded, the project publishes more than 100 ports, the most it may"],
            Errors("services:\n  a: {image: app, ports: [\"1-60:1-60\"]}\n  b: {image: app, ports: [\"61-70:61-70\", \"71-200:71-200\", \"1-65535:1-65535\"]}\n  c: {image: app, ports: [\"1-65535:1-65535\"]}\n", Small));

    [Fact]
    public void The_default_limits_admit_the_ten_thousand_service_project_of_the_design_targets()
    {
        var yaml = new StringBuilder("services:\n");
        for (var i = 0; i < 10_000; i++)
        {
            yaml.Append("  s").Append(i).Append(":\n    command: [serve, \"").Append(i).Append("\"]\n    environment: {LOG: info, INDEX: \"").Append(i).Append("\"}\n    deploy: {replicas: 3}\n");
        }

        Assert.Equal(10_000, Load.Yaml(yaml.ToString()).Services.Count);
    }
}
