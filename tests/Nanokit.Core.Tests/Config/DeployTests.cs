using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>deploy.resources.limits, deploy.update_config, pull_policy and network_mode.</summary>
public sealed class DeployTests
{
    // The local runtime needs a command; these services only have images.
    private const string Docker = "runtime: docker\n";

    private static ServiceSpec Web(string extra) => Load.Service("services:\n  web:\n    image: app:1\n" + extra + Docker);

    [Fact]
    public void Resource_limits_read_compose_units()
    {
        var limits = Web("    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 512m, pids: 100}\n").Limits;
        Assert.Equal(new ResourceLimits(0.5, 512L << 20, 100), limits);
        Assert.Equal(new ResourceLimits(2, 1L << 30, null), Web("    deploy: {resources: {limits: {cpus: 2, memory: 1gb}}}\n").Limits);
        Assert.Equal(1536L, Web("    deploy: {resources: {limits: {memory: 1.5k}}}\n").Limits!.MemoryBytes);
        Assert.Equal(4096L, Web("    deploy: {resources: {limits: {memory: 4096}}}\n").Limits!.MemoryBytes);
        Assert.Null(Web("").Limits);
    }

    [Fact]
    public void Bad_limits_name_their_place()
    {
        Assert.Equal(
            [
                "nanokit.yml:5:34: deploy.resources.limits.cpus: expected a positive number of CPUs such as 0.5 or 2, got \"-1\"",
                "nanokit.yml:5:46: deploy.resources.limits.memory: expected a size such as 512m, 1g or 1048576, got \"lots\"",
                "nanokit.yml:5:58: deploy.resources.limits.pids must be 1 or more, got 0",
            ],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy:\n      resources: {limits: {cpus: -1, memory: lots, pids: 0}}\n" + Docker));
        Assert.Equal(
            ["nanokit.yml:5:34: \"devices\" in deploy.resources.reservations is a Compose key no Nanokit runtime honours yet (local, docker)"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy:\n      resources: {reservations: {devices: [{capabilities: [gpu]}]}}\n" + Docker));
    }

    [Fact]
    public void Update_config_reads_order_and_parallelism()
    {
        Assert.Equal(UpdatePolicy.Default, Web("").Update);
        Assert.Equal(new UpdatePolicy(2, UpdateOrder.StartFirst), Web("    deploy: {update_config: {order: start-first, parallelism: 2}}\n").Update);
        Assert.Equal(
            ["nanokit.yml:4:37: deploy.update_config.order: \"start_first\" is not one of stop-first, start-first; did you mean \"start-first\"?"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy: {update_config: {order: start_first}}\n" + Docker));
        Assert.Equal(
            ["nanokit.yml:5:37: deploy.update_config.order: start-first cannot replace a replica that publishes host port 8080; use stop-first or leave the host port out"],
            Load.Errors("services:\n  web:\n    image: app:1\n    ports: [\"8080:80\"]\n    deploy: {update_config: {order: start-first}}\n" + Docker));
        Assert.Equal(UpdateOrder.StartFirst, Web("    ports: [\"80\"]\n    deploy: {update_config: {order: start-first}}\n").Update.Order);
    }

    [Fact]
    public void Pull_policy_and_network_mode_are_service_keys()
    {
        Assert.Equal(PullPolicy.Never, Web("    pull_policy: never\n").PullPolicy);
        Assert.Equal(PullPolicy.Missing, Web("    pull_policy: if_not_present\n").PullPolicy);
        Assert.Equal("none", Web("    network_mode: none\n").NetworkMode);
        Assert.Equal(
            ["nanokit.yml:4:18: pull_policy: \"sometimes\" is not one of missing, if_not_present, always, never"],
            Load.Errors("services:\n  web:\n    image: app:1\n    pull_policy: sometimes\n" + Docker));
        Assert.Equal(
            ["nanokit.yml:4:15: runtime.network_mode: set network_mode on the service itself, as in Compose"],
            Load.Errors("services:\n  web:\n    image: app:1\n    runtime: {network_mode: none}\n" + Docker));
        Assert.Equal(
            ["nanokit.yml:4:19: network_mode: \"service:db\" is not supported yet; use a network name or container:ID"],
            Load.Errors("services:\n  web:\n    image: app:1\n    network_mode: service:db\n" + Docker));
    }

    [Fact]
    public void Limits_and_network_change_the_hash_but_pull_policy_and_update_order_do_not()
    {
        var plain = ConfigHash.Compute(Web(""));
        Assert.NotEqual(plain, ConfigHash.Compute(Web("    deploy: {resources: {limits: {memory: 64m}}}\n")));
        Assert.NotEqual(plain, ConfigHash.Compute(Web("    network_mode: host\n")));
        Assert.Equal(plain, ConfigHash.Compute(Web("    pull_policy: always\n")));
        Assert.Equal(plain, ConfigHash.Compute(Web("    deploy: {update_config: {order: start-first}}\n")));
    }

    [Fact]
    public void Config_output_loads_back_to_the_same_service()
    {
        var original = Load.Yaml(
            "services:\n  web:\n    image: app:1\n    pull_policy: never\n    network_mode: none\n" +
            "    deploy:\n      resources: {limits: {cpus: '1.5', memory: 300m, pids: 64}}\n      update_config: {order: start-first, parallelism: 1}\n" + Docker);
        var again = Load.Yaml(ProjectWriter.ToYaml(original)).Services["web"];
        var web = original.Services["web"];
        Assert.Equal((web.PullPolicy, web.NetworkMode, web.Limits, web.Update), (again.PullPolicy, again.NetworkMode, again.Limits, again.Update));
    }
}
