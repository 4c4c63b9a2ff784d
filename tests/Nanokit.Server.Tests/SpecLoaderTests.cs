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

    [Theory]
    [InlineData("./token.txt")] // beside the caller's nanokit.yml: every file a request carries is a compose file
    [InlineData("/etc/hostname")] // the node's own file
    public void A_secret_or_config_file_is_refused_over_the_api_at_its_use_because_files_are_not_sent(string file)
    {
        var yaml = $"""
            name: files
            services:
              api:
                image: app:1
                secrets: [token]
                configs: [settings]
            secrets:
              token:
                file: {file}
            configs:
              settings:
                file: {file}
            """;
        var request = TestFiles.Apply(yaml);

        var refused = Assert.Throws<Grpc.Core.RpcException>(() => SpecLoader.Load(request, "/projects", Path.GetTempPath()));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("nanokit.yml:5:", refused.Status.Detail);
        Assert.Contains("secret \"token\" of service \"api\": secret files are not sent over the API", refused.Status.Detail);
        Assert.Contains("config \"settings\" of service \"api\": config files are not sent over the API", refused.Status.Detail);
        Assert.DoesNotContain("nanokit-apply-", refused.Status.Detail);
    }
}
