using Nanokit.Server.Api;

namespace Nanokit.Server.Tests;

public sealed class SpecLoaderTests
{
    [Fact]
    public void A_variable_declared_without_a_value_stays_unset_over_the_api_and_never_takes_the_nodes_value()
    {
        // HOME is set in every test process: were it passed through, the owner's runtime would hand the node's value to the container.
        Assert.NotNull(Environment.GetEnvironmentVariable("HOME"));
        const string Yaml = """
            name: passthrough
            runtime: docker
            services:
              api:
                image: app:1
                environment: [HOME, "GIVEN=1", "FROM_ENV=${TAG}"]
                post_start:
                  - command: ./warm
                    environment: [HOME, "HOOK=2"]
            """;
        var request = TestFiles.Apply(Yaml);
        request.EnvFile = new Api.V1.SourceFile { Name = ".env", Content = Google.Protobuf.ByteString.CopyFromUtf8("TAG=7\n") };

        var api = SpecLoader.Load(request, "/projects", Path.GetTempPath()).Services["api"];

        Assert.Equal(new Dictionary<string, string?> { ["FROM_ENV"] = "7", ["GIVEN"] = "1" }, api.Environment);
        Assert.Equal(new Dictionary<string, string?> { ["HOOK"] = "2" }, Assert.Single(api.Container.PostStart).Environment);
    }
}
