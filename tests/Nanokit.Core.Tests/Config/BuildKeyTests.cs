using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Core.Tests.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Compose <c>build</c>: read in both forms, the context hashed, errors located, the plan saying why it rebuilds.</summary>
public sealed class BuildKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nanokit-build-key-").FullName;

    public BuildKeyTests()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "app"));
        File.WriteAllText(Path.Combine(_directory, "app", "Dockerfile"), "FROM busybox\nCOPY . /app\n");
        File.WriteAllText(Path.Combine(_directory, "app", "Dockerfile.dev"), "FROM busybox\n");
        File.WriteAllText(Path.Combine(_directory, "app", "main.txt"), "v1");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Build_is_read_in_its_short_and_long_forms_and_a_file_of_images_and_builds_runs_on_docker()
    {
        var project = Load(
            """
            services:
              web:
                build: ./app
              api:
                image: shop/api:dev
                build:
                  context: app
                  dockerfile: Dockerfile.dev
                  args: [VERSION=1.2, FROM_HOST]
                  target: base
            """,
            new Dictionary<string, string> { ["FROM_HOST"] = "h" });

        Assert.Equal(RuntimeKind.Docker, project.Runtime);
        var app = Path.Combine(_directory, "app");
        var web = project.Services["web"].Build!;
        Assert.Equal((app, "Dockerfile", null, BuildContextFiles.Hash(app, "Dockerfile")), (web.Context, web.Dockerfile, web.Target, web.ContextHash));
        Assert.Null(project.Services["web"].Image);
        var api = project.Services["api"].Build!;
        Assert.Equal(("Dockerfile.dev", "base"), (api.Dockerfile, api.Target));
        Assert.Equal(["FROM_HOST=h", "VERSION=1.2"], api.Args.Select(a => $"{a.Key}={a.Value}"));
        var yaml = ProjectWriter.ToYaml(project);
        Assert.True(
            yaml.Contains($"    build:\n      context: {app}\n      dockerfile: Dockerfile.dev\n      args:\n        FROM_HOST: h\n        VERSION: \"1.2\"\n      target: base\n    image: \"shop/api:dev\"\n", StringComparison.Ordinal),
            yaml);
    }

    [Fact]
    public void Build_errors_name_the_place_and_the_local_runtime_refuses_a_build()
    {
        var errors = ErrorsOf(
            """
            runtime: local
            services:
              a:
                command: run
                build: ./missing
              b:
                command: run
                build: {context: app, dockerfile: Nope, cache_from: [x]}
              c:
                command: run
                build: https://example.com/repo.git
            """);

        Assert.Equal(
            [
                "nanokit.yml:5:5: \"build\" in service \"a\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                $"nanokit.yml:5:12: build.context: directory \"./missing\" ({Path.Combine(_directory, "missing")}) does not exist",
                "nanokit.yml:8:5: \"build\" in service \"b\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                $"nanokit.yml:8:39: build.dockerfile: \"Nope\" not found in the context {Path.Combine(_directory, "app")}",
                "nanokit.yml:8:45: \"cache_from\" in build of service \"b\" is a Compose key no Nanokit runtime honours yet (local, docker)",
                "nanokit.yml:11:5: \"build\" in service \"c\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:11:12: build.context: \"https://example.com/repo.git\" is a remote context; nanokit builds from a local directory",
            ],
            errors);
    }

    [Fact]
    public void Plan_recreates_a_built_service_when_its_context_changes_and_says_so()
    {
        const string yaml = """
            services:
              web:
                build: ./app
            """;
        var before = Load(yaml);
        File.WriteAllText(Path.Combine(_directory, "app", "main.txt"), "v2");
        var after = Load(yaml);

        var action = Assert.Single(PlanEngine.Plan(after, PlanEngineTests.Deployed(before)).Actions);

        Assert.Equal((ActionType.Update, "build context changed"), (action.Action, action.Cause));
        Assert.All(PlanEngine.Plan(after, PlanEngineTests.Deployed(after)).Actions, a => Assert.Equal(ActionType.NoOp, a.Action));
    }

    private ProjectSpec Load(string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        ProjectLoader.Parse([("nanokit.yml", yaml)], new ProjectLoadOptions([], _directory, null, [], env ?? new Dictionary<string, string>(), "shop"));

    private string[] ErrorsOf(string yaml) => Nanokit.Core.Tests.Config.Load.ErrorsOf(() => Load(yaml));
}
