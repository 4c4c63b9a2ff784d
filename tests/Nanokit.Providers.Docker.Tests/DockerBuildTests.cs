using System.Collections.Immutable;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>Compose <c>build</c> on the private daemon: a busybox-based Dockerfile, no registry involved.</summary>
public sealed class DockerBuildTests
{
    private const string Dockerfile = """
        FROM nanokit-test/busybox:1 AS base
        ARG GREETING=unset
        COPY . /ctx/
        RUN echo "$GREETING" > /greeting
        FROM base AS final
        RUN echo final > /stage
        """;

    [Fact]
    public async Task Build_sends_the_context_without_ignored_files_uses_args_and_target_tags_the_image_and_rebuilds_only_when_the_context_changes()
    {
        await using var p = await DockerProject.StartAsync();
        var context = Directory.CreateTempSubdirectory("nanokit-build-").FullName;
        var tag = $"{p.Project.Name}-web";
        try
        {
            File.WriteAllText(Path.Combine(context, "Dockerfile"), Dockerfile);
            File.WriteAllText(Path.Combine(context, "hello.txt"), "v1");
            File.WriteAllText(Path.Combine(context, "secret.txt"), "not for the image");
            File.WriteAllText(Path.Combine(context, ".dockerignore"), "# local only\nsecret.txt\n");
            var reports = new Reports();
            var service = DockerProject.Service("web") with { Image = null, Build = Build(context) };

            var created = await p.Runtime.CreateAsync(p.Replica(service) with { Progress = reports }, DockerProject.Timeout(120));

            Assert.Equal(ReplicaState.Running, created.State);
            Assert.Equal("hi", await ExecAsync(created.Id!, "cat", "/greeting"));
            Assert.Equal("v1", await ExecAsync(created.Id!, "cat", "/ctx/hello.txt"));
            Assert.Equal(".dockerignore Dockerfile hello.txt", (await ExecAsync(created.Id!, "ls", "-A", "/ctx")).Replace('\n', ' '));
            Assert.Equal(1, (await DockerProject.TryDockerCliAsync("exec", created.Id!, "test", "-e", "/stage")).ExitCode);
            Assert.Contains(reports.Lines, line => line.StartsWith($"building {tag}: Step 1/", StringComparison.Ordinal));
            Assert.Equal($"built {tag}", reports.Lines[^1]);
            var firstImage = await ImageIdAsync(tag);

            // The same build: the image is reused, not built again.
            var again = await p.Runtime.CreateAsync(p.Replica(service, replica: 2), DockerProject.Timeout(120));
            Assert.Equal(firstImage, await ImageIdAsync(tag));
            Assert.Equal("v1", await ExecAsync(again.Id!, "cat", "/ctx/hello.txt"));

            // A changed file of the context: another hash, and a rebuild when the replica is recreated with it.
            File.WriteAllText(Path.Combine(context, "hello.txt"), "v2");
            var changed = service with { Build = Build(context) };
            Assert.NotEqual(service.Build!.ContextHash, changed.Build!.ContextHash);
            var rebuilt = await p.Runtime.CreateAsync(p.Replica(changed, hash: "h2"), DockerProject.Timeout(120));
            Assert.NotEqual(firstImage, await ImageIdAsync(tag));
            Assert.Equal("v2", await ExecAsync(rebuilt.Id!, "cat", "/ctx/hello.txt"));

            // An ignored file changes nothing the builder sees.
            File.WriteAllText(Path.Combine(context, "secret.txt"), "changed");
            Assert.Equal(changed.Build.ContextHash, Build(context).ContextHash);
        }
        finally
        {
            await DockerProject.TryDockerCliAsync("rm", "-f", $"{p.Project.Name}-web-1", $"{p.Project.Name}-web-2");
            await DockerProject.TryDockerCliAsync("rmi", "-f", tag);
            Directory.Delete(context, recursive: true);
        }
    }

    [Fact]
    public async Task A_build_that_fails_reports_the_builders_error_and_leaves_no_container()
    {
        await using var p = await DockerProject.StartAsync();
        var context = Directory.CreateTempSubdirectory("nanokit-build-").FullName;
        try
        {
            // The marker finds the builder's own container for the failed step, which carries no label of the project.
            var marker = "failing-step-" + Guid.NewGuid().ToString("N");
            File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM nanokit-test/busybox:1\nRUN echo {marker} && exit 3\n");
            var service = DockerProject.Service("web") with { Image = null, Build = Build(context) with { Target = null } };

            var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout(120)));

            Assert.True(error.Message.Contains($"cannot build image {p.Project.Name}-web from {context}", StringComparison.Ordinal), error.Message);
            Assert.True(error.Message.Contains("returned a non-zero code: 3", StringComparison.Ordinal), error.Message);
            Assert.Equal("", (await DockerProject.DockerCliAsync("ps", "-aq", "--filter", "label=io.nanokit.project=" + p.Project.Name)).Trim());
            Assert.DoesNotContain(marker, await DockerProject.DockerCliAsync("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}} {{.Command}}"));
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }

    private static BuildSpec Build(string context) => new(
        context, "Dockerfile", ImmutableSortedDictionary<string, string?>.Empty.Add("GREETING", "hi"), "base", BuildContextFiles.Hash(context, "Dockerfile"));

    private static async Task<string> ExecAsync(string container, params string[] command) =>
        (await DockerProject.DockerCliAsync(["exec", container, .. command])).Trim();

    private static async Task<string> ImageIdAsync(string image) =>
        (await DockerProject.DockerCliAsync("image", "inspect", "-f", "{{.Id}}", image)).Trim();

    private sealed class Reports : IProgress<string>
    {
        public List<string> Lines { get; } = [];

        public void Report(string value) => Lines.Add(value);
    }
}
