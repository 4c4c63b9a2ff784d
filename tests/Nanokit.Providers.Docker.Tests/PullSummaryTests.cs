using System.Text.Json;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>The pull's progress line, folded from lines the private dockerd sent while pulling from the private registry.</summary>
public sealed class PullSummaryTests
{
    // An image FROM scratch of three COPY layers (1.06, 1.50 and 0.70 MB compressed), none of them present on the daemon.
    private const string ThreeNewLayers = """
        {"status":"Pulling from probe/layers","id":"1"}
        {"status":"Pulling fs layer","progressDetail":{},"id":"21853257df0b"}
        {"status":"Pulling fs layer","progressDetail":{},"id":"a4ac8a86082d"}
        {"status":"Pulling fs layer","progressDetail":{},"id":"fc58f54b75cd"}
        {"status":"Downloading","progressDetail":{"current":36446,"total":700396},"progress":"[==\u003e                                                ]  36.45kB/700.4kB","id":"fc58f54b75cd"}
        {"status":"Downloading","progressDetail":{"current":700396,"total":700396},"progress":"[==================================================\u003e]  700.4kB/700.4kB","id":"fc58f54b75cd"}
        {"status":"Verifying Checksum","progressDetail":{},"id":"fc58f54b75cd"}
        {"status":"Download complete","progressDetail":{},"id":"fc58f54b75cd"}
        {"status":"Downloading","progressDetail":{"current":32768,"total":1500640},"progress":"[=\u003e                                                 ]  32.77kB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Downloading","progressDetail":{"current":36445,"total":1064344},"progress":"[=\u003e                                                 ]  36.45kB/1.064MB","id":"21853257df0b"}
        {"status":"Downloading","progressDetail":{"current":1064344,"total":1064344},"progress":"[==================================================\u003e]  1.064MB/1.064MB","id":"21853257df0b"}
        {"status":"Verifying Checksum","progressDetail":{},"id":"21853257df0b"}
        {"status":"Download complete","progressDetail":{},"id":"21853257df0b"}
        {"status":"Downloading","progressDetail":{"current":1500640,"total":1500640},"progress":"[==================================================\u003e]  1.501MB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":32768,"total":1064344},"progress":"[=\u003e                                                 ]  32.77kB/1.064MB","id":"21853257df0b"}
        {"status":"Verifying Checksum","progressDetail":{},"id":"a4ac8a86082d"}
        {"status":"Download complete","progressDetail":{},"id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":98304,"total":1064344},"progress":"[====\u003e                                              ]   98.3kB/1.064MB","id":"21853257df0b"}
        {"status":"Extracting","progressDetail":{"current":1064344,"total":1064344},"progress":"[==================================================\u003e]  1.064MB/1.064MB","id":"21853257df0b"}
        {"status":"Extracting","progressDetail":{"current":1064344,"total":1064344},"progress":"[==================================================\u003e]  1.064MB/1.064MB","id":"21853257df0b"}
        {"status":"Pull complete","progressDetail":{},"id":"21853257df0b"}
        {"status":"Extracting","progressDetail":{"current":32768,"total":1500640},"progress":"[=\u003e                                                 ]  32.77kB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":163840,"total":1500640},"progress":"[=====\u003e                                             ]  163.8kB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":1500640,"total":1500640},"progress":"[==================================================\u003e]  1.501MB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":1500640,"total":1500640},"progress":"[==================================================\u003e]  1.501MB/1.501MB","id":"a4ac8a86082d"}
        {"status":"Pull complete","progressDetail":{},"id":"a4ac8a86082d"}
        {"status":"Extracting","progressDetail":{"current":32768,"total":700396},"progress":"[==\u003e                                                ]  32.77kB/700.4kB","id":"fc58f54b75cd"}
        {"status":"Extracting","progressDetail":{"current":163840,"total":700396},"progress":"[===========\u003e                                       ]  163.8kB/700.4kB","id":"fc58f54b75cd"}
        {"status":"Extracting","progressDetail":{"current":700396,"total":700396},"progress":"[==================================================\u003e]  700.4kB/700.4kB","id":"fc58f54b75cd"}
        {"status":"Pull complete","progressDetail":{},"id":"fc58f54b75cd"}
        {"status":"Digest: sha256:c05b80fcf77b70d6a346da9a9fd11818f83f5eabc0079e25599c0c6a01f23dc1"}
        {"status":"Status: Downloaded newer image for 127.0.0.1:55000/probe/layers:1"}
        """;

    // The same image and a fourth layer (0.30 MB), pulled after the first: three of its layers already exist.
    private const string OneNewLayer = """
        {"status":"Pulling from probe/layers","id":"2"}
        {"status":"Already exists","progressDetail":{},"id":"21853257df0b"}
        {"status":"Already exists","progressDetail":{},"id":"a4ac8a86082d"}
        {"status":"Already exists","progressDetail":{},"id":"fc58f54b75cd"}
        {"status":"Pulling fs layer","progressDetail":{},"id":"51fb850b8e52"}
        {"status":"Downloading","progressDetail":{"current":3678,"total":300283},"progress":"[\u003e                                                  ]  3.678kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Downloading","progressDetail":{"current":300283,"total":300283},"progress":"[==================================================\u003e]  300.3kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Verifying Checksum","progressDetail":{},"id":"51fb850b8e52"}
        {"status":"Download complete","progressDetail":{},"id":"51fb850b8e52"}
        {"status":"Extracting","progressDetail":{"current":32768,"total":300283},"progress":"[=====\u003e                                             ]  32.77kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Extracting","progressDetail":{"current":163840,"total":300283},"progress":"[===========================\u003e                       ]  163.8kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Extracting","progressDetail":{"current":300283,"total":300283},"progress":"[==================================================\u003e]  300.3kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Extracting","progressDetail":{"current":300283,"total":300283},"progress":"[==================================================\u003e]  300.3kB/300.3kB","id":"51fb850b8e52"}
        {"status":"Pull complete","progressDetail":{},"id":"51fb850b8e52"}
        {"status":"Digest: sha256:277014aea3d79431910d7e4d0bbe44a683b57387ac09acd0b3b9ec448d852d6e"}
        {"status":"Status: Downloaded newer image for 127.0.0.1:55000/probe/layers:2"}
        """;

    // A new name for an image the daemon holds: no layer to fetch, so no layer lines.
    private const string NoLayers = """
        {"status":"Pulling from probe/one","id":"1"}
        {"status":"Digest: sha256:41fd502f0a93aa89fff6512e4eefea34eecbeffb8d6f33232b43bc605a542fdd"}
        {"status":"Status: Downloaded newer image for 127.0.0.1:55000/probe/one:1"}
        """;

    [Fact]
    public void A_pull_counts_the_layers_done_and_the_bytes_downloaded_of_the_sizes_known_so_far()
    {
        const string Image = "127.0.0.1:55000/probe/layers:1";
        var lines = ThreeNewLayers.Split('\n');

        Assert.Equal($"pulling {Image}", Fold(Image, lines[..1]));
        Assert.Equal($"pulling {Image}: 0/3 layers", Fold(Image, lines[..4]));
        Assert.Equal($"pulling {Image}: 0/3 layers, 36.4/700.4 kB", Fold(Image, lines[..5]));
        Assert.Equal($"pulling {Image}: 0/3 layers, 1.8/3.3 MB", Fold(Image, lines[..11]));
        Assert.Equal($"pulling {Image}: 1/3 layers, 3.3/3.3 MB", Fold(Image, lines[..21]));
        Assert.Equal($"pulled {Image}: 3/3 layers, 3.3/3.3 MB", Fold(Image, lines));
    }

    [Fact]
    public void Layers_that_already_exist_count_as_done_and_move_no_bytes()
    {
        const string Image = "127.0.0.1:55000/probe/layers:2";
        var lines = OneNewLayer.Split('\n');

        Assert.Equal($"pulling {Image}: 3/4 layers", Fold(Image, lines[..5]));
        Assert.Equal($"pulling {Image}: 3/4 layers, 3.7/300.3 kB", Fold(Image, lines[..6]));
        Assert.Equal($"pulled {Image}: 4/4 layers, 300.3/300.3 kB", Fold(Image, lines));
    }

    [Fact]
    public void A_pull_without_layer_lines_names_only_the_image_and_the_tag_of_pulling_from_is_not_a_layer()
    {
        const string Image = "127.0.0.1:55000/probe/one:1";
        var lines = NoLayers.Split('\n');

        Assert.Equal($"pulling {Image}", Fold(Image, lines[..2]));
        Assert.Equal($"pulled {Image}", Fold(Image, lines));
    }

    private static string Fold(string image, IEnumerable<string> lines)
    {
        var summary = new PullSummary(image);
        foreach (var line in lines)
        {
            summary.Apply(JsonSerializer.Deserialize<global::Docker.DotNet.Models.JSONMessage>(line)!);
        }

        return summary.Summary;
    }
}
