using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>A named volume's <c>driver_opts.size</c>: a Kubernetes quantity read on runtime kubernetes only, every other option refused at its place.</summary>
public sealed class VolumeSizeTests
{
    private const string Services = "services:\n  db:\n    image: pg:17\n    volumes: [data:/var/lib/db, logs:/logs]\n";

    [Theory]
    [InlineData("5Gi", 5L * 1024 * 1024 * 1024)]
    [InlineData("500Mi", 500L * 1024 * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1.5Gi", 3L * 512 * 1024 * 1024)]
    [InlineData(".5Ki", 512L)]
    [InlineData("+2k", 2000L)]
    [InlineData("5.", 5L)]
    [InlineData("1e3", 1000L)]
    [InlineData("1E+2", 100L)]
    [InlineData("1E", 1_000_000_000_000_000_000L)]
    [InlineData("2Ei", 2L << 60)]
    public void A_storage_quantity_is_read_as_kubernetes_reads_it(string text, long bytes)
    {
        Assert.True(StorageQuantity.TryParse(text, out var read));
        Assert.Equal(bytes, read);
    }

    [Theory]
    [InlineData("5GB")]
    [InlineData("5gi")]
    [InlineData("5 Gi")]
    [InlineData("Gi")]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("0")]
    [InlineData("-1Gi")]
    [InlineData("1e")]
    [InlineData("1e1.5")]
    [InlineData("1e99")]
    [InlineData("5Gi\n")]
    public void What_is_not_a_positive_quantity_is_not_a_size(string text) =>
        Assert.False(StorageQuantity.TryParse(text, out _));

    [Fact]
    public void Runtime_kubernetes_gives_each_mount_of_a_volume_its_declared_size_and_the_size_is_part_of_the_config_hash()
    {
        var project = Load.Yaml("runtime: kubernetes\n" + Services + "volumes:\n  data:\n    driver_opts:\n      size: 5Gi\n  logs:\n");
        var unsized = Load.Yaml("runtime: kubernetes\n" + Services + "volumes:\n  data:\n  logs:\n");

        Assert.Equal([("data", "5Gi"), ("logs", null)], project.Services["db"].Volumes.Select(v => (v.Source, v.Size)));
        Assert.NotEqual(ConfigHash.Compute(unsized.Services["db"]), ConfigHash.Compute(project.Services["db"]));
    }

    [Fact]
    public void Runtime_kubernetes_refuses_an_invalid_size_and_every_other_volume_option_at_its_place()
    {
        Assert.Equal(
            [
                "nanokit.yml:9:13: volume \"data\": driver_opts.size \"5GB\" is not a Kubernetes quantity greater than zero (such as 5Gi, 500Mi or 1G)",
                "nanokit.yml:10:7: volume \"data\": runtime kubernetes reads only driver_opts.size (the claim's storage request); driver_opts.type is not supported",
                "nanokit.yml:12:5: volume \"logs\": runtime kubernetes makes a volume a PersistentVolumeClaim and reads only driver_opts.size (its storage request); driver is not supported",
                "nanokit.yml:13:5: volume \"logs\": runtime kubernetes makes a volume a PersistentVolumeClaim and reads only driver_opts.size (its storage request); external is not supported",
            ],
            Load.Errors("runtime: kubernetes\n" + Services + "volumes:\n  data:\n    driver_opts:\n      size: 5GB\n      type: nfs\n  logs:\n    driver: local\n    external: true\n"));
    }

    [Fact]
    public void Other_runtimes_refuse_volume_options_as_before_a_size_included()
    {
        Assert.Equal(
            ["nanokit.yml:8:5: volume \"data\": options (driver, external, name…) are not supported by nanokit yet"],
            Load.Errors("runtime: docker\n" + Services + "volumes:\n  data:\n    driver_opts:\n      size: 5Gi\n  logs:\n"));
    }
}
