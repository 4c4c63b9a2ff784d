using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Plan;

public sealed class ConfigHashTests
{
    private static readonly ServiceSpec Api = Service("api", "shop/api:1")
        .WithEnvironment("A", "1")
        .WithEnvironment("DB_PASSWORD", "s3cr3t", secret: true);

    [Fact]
    public void The_hash_is_lowercase_hex_sha256()
    {
        Assert.Matches("^[0-9a-f]{64}$", ConfigHash.Compute(Api));
    }

    [Fact]
    public void Keys_that_need_no_recreation_do_not_change_the_hash()
    {
        var changed = Api.DependingOn("db") with
        {
            Name = "api-renamed",
            Replicas = 5,
            Profiles = ["debug"],
            Hooks = new HooksSpec(new Hook(["echo", "hi"], HookLocation.Host, TimeSpan.FromSeconds(5)), null, null),
            Location = At(40, 2),
            SecretEnvironment = ["A"],
        };

        Assert.Equal(ConfigHash.Compute(Api), ConfigHash.Compute(changed));
    }

    public static TheoryData<string, ServiceSpec> Recreating => new()
    {
        { "image", Api with { Image = "shop/api:2" } },
        { "secret value", Api.WithEnvironment("DB_PASSWORD", "other") },
        { "environment value", Api.WithEnvironment("A", "2") },
        { "unset environment value", Api.WithEnvironment("A", null) },
        { "command", Api with { Command = ["serve"] } },
        { "empty command", Api with { Command = [] } },
        { "entrypoint", Api with { Entrypoint = ["sh"] } },
        { "working dir", Api with { WorkingDir = "/srv" } },
        { "ports", Api with { Ports = [new PortMapping(null, 80, 80, "tcp")] } },
        { "volumes", Api with { Volumes = [new VolumeMount("bind", "./data", "/data", true)] } },
        { "labels", Api with { Labels = ImmutableSortedDictionary<string, string>.Empty.Add("a", "b") } },
        { "healthcheck", Api with { Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, TimeSpan.Zero, false) } },
        { "stop grace period", Api with { StopGracePeriod = TimeSpan.FromSeconds(3) } },
        { "runtime options", Api with { RuntimeOptions = ImmutableSortedDictionary<string, string>.Empty.Add("cpus", "1") } },
    };

    [Theory]
    [MemberData(nameof(Recreating))]
    public void Keys_that_need_recreation_change_the_hash(string what, ServiceSpec changed)
    {
        Assert.False(ConfigHash.Compute(Api) == ConfigHash.Compute(changed), what + " should change the hash");
    }

    [Fact]
    public void Command_order_is_part_of_the_hash()
    {
        Assert.NotEqual(
            ConfigHash.Compute(Api with { Command = ["a", "b"] }),
            ConfigHash.Compute(Api with { Command = ["b", "a"] }));
    }

    [Fact]
    public void The_hash_does_not_depend_on_the_comparer_the_maps_were_built_with()
    {
        var pairs = new[] { KeyValuePair.Create("b", (string?)"2"), KeyValuePair.Create("B", (string?)"3"), KeyValuePair.Create("a_1", (string?)"1"), KeyValuePair.Create("a-1", (string?)null) };
        var ordinal = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, pairs);
        var ignoringCase = ImmutableSortedDictionary.CreateRange(StringComparer.OrdinalIgnoreCase, pairs.Where(p => p.Key != "B"));
        var reversed = ImmutableSortedDictionary.CreateRange(Comparer<string>.Create((x, y) => string.CompareOrdinal(y, x)), pairs);

        var expected = ConfigHash.Compute(Api with { Environment = ordinal });

        Assert.Equal(expected, ConfigHash.Compute(Api with { Environment = reversed }));
        Assert.Equal(
            ConfigHash.Compute(Api with { Environment = ordinal.Remove("B") }),
            ConfigHash.Compute(Api with { Environment = ignoringCase }));
    }
}
