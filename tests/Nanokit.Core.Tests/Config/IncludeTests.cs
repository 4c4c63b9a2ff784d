using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Top-level <c>include</c>: short and long syntax, its own project directory and variables, and each error, located.</summary>
public sealed class IncludeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanokit-include-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_short_syntax_copies_the_included_services_and_resources_into_the_project()
    {
        Write("db/compose.yml", """
            services:
              db: {image: postgres:16, volumes: ["dbdata:/var/lib/postgresql/data"]}
            volumes: {dbdata: {}}
            """);
        Write("compose.yml", """
            include: [db/compose.yml]
            services:
              web: {image: busybox:1, depends_on: [db]}
            """);
        var project = LoadDir();
        Assert.Equal(["db", "web"], project.Services.Keys);
        Assert.Equal("postgres:16", project.Services["db"].Image);
        Assert.Contains("db", project.Services["web"].DependsOn.Keys);
    }

    [Fact]
    public void Relative_paths_of_an_included_file_resolve_against_its_own_directory()
    {
        Write("db/compose.yml", "services:\n  db: {image: postgres:16, volumes: [\"./init:/docker-entrypoint-initdb.d\"]}\n");
        Write("compose.yml", "include: [db/compose.yml]\nservices:\n  web: {image: busybox:1, volumes: [\"./html:/html\"]}\n");
        var project = LoadDir();
        Assert.Equal(Path.Combine(_dir, "db", "init"), project.Services["db"].Volumes[0].Source);
        Assert.Equal(Path.Combine(_dir, "html"), project.Services["web"].Volumes[0].Source);
    }

    [Fact]
    public void The_long_syntax_sets_the_project_directory_for_relative_paths()
    {
        Write("db/compose.yml", "services:\n  db: {image: postgres:16, volumes: [\"./init:/init\"]}\n");
        Write("compose.yml", "include:\n  - path: db/compose.yml\n    project_directory: shared\nservices:\n  web: {image: busybox:1}\n");
        Assert.Equal(Path.Combine(_dir, "shared", "init"), LoadDir().Services["db"].Volumes[0].Source);
    }

    [Fact]
    public void The_long_syntax_merges_a_list_of_paths_in_order()
    {
        Write("db/compose.yml", "services:\n  db: {image: postgres:16, environment: {A: base, B: base}}\n");
        Write("db/override.yml", "services:\n  db: {environment: {B: override}}\n");
        Write("compose.yml", "include:\n  - path: [db/compose.yml, db/override.yml]\nservices:\n  web: {image: busybox:1}\n");
        Assert.Equal(new Dictionary<string, string?> { ["A"] = "base", ["B"] = "override" }, LoadDir().Services["db"].Environment);
    }

    [Fact]
    public void An_included_file_is_interpolated_with_its_own_dotenv_overridden_by_the_project_variables()
    {
        Write("db/.env", "TAG=15\nUSER_NAME=included\n");
        Write("db/compose.yml", "services:\n  db: {image: \"postgres:${TAG}\", environment: {U: \"${USER_NAME}\"}}\n");
        Write(".env", "USER_NAME=project\n");
        Write("compose.yml", "include: [db/compose.yml]\nservices:\n  web: {image: busybox:1}\n");
        var db = LoadDir().Services["db"];
        Assert.Equal("postgres:15", db.Image);
        Assert.Equal("project", db.Environment["U"]);
    }

    [Fact]
    public void The_long_syntax_env_file_replaces_the_default_dotenv()
    {
        Write("db/.env", "TAG=15\n");
        Write("db/other.env", "TAG=17\n");
        Write("db/compose.yml", "services:\n  db: {image: \"postgres:${TAG}\"}\n");
        Write("compose.yml", "include:\n  - path: db/compose.yml\n    env_file: db/other.env\nservices:\n  web: {image: busybox:1}\n");
        Assert.Equal("postgres:17", LoadDir().Services["db"].Image);
    }

    [Fact]
    public void Includes_apply_recursively_and_a_service_may_extend_an_included_one()
    {
        Write("a/compose.yml", "include: [../b/compose.yml]\nservices:\n  a: {image: busybox:1}\n");
        Write("b/compose.yml", "services:\n  b: {image: busybox:2, user: nobody}\n");
        Write("compose.yml", "include: [a/compose.yml]\nservices:\n  web: {extends: b, hostname: web}\n");
        var project = LoadDir();
        Assert.Equal(["a", "b", "web"], project.Services.Keys);
        Assert.Equal(("busybox:2", "nobody"), (project.Services["web"].Image, project.Services["web"].Container.User));
    }

    [Fact]
    public void An_included_service_conflicting_with_one_of_the_project_is_a_located_error()
    {
        Write("db/compose.yml", "services:\n  db: {image: postgres:16}\n");
        Write("compose.yml", "include: [db/compose.yml]\nservices:\n  db: {image: postgres:15}\n");
        var error = Assert.Single(Load.ErrorsOf(() => LoadDir()));
        Assert.StartsWith("compose.yml:3:3: services.db conflicts with the one defined by the included file db/compose.yml", error);
    }

    [Fact]
    public void An_include_cycle_is_an_error_that_prints_its_path()
    {
        Write("a.yml", "include: [b.yml]\nservices:\n  a: {image: busybox:1}\n");
        Write("b.yml", "include: [a.yml]\nservices:\n  b: {image: busybox:1}\n");
        Write("compose.yml", "include: [a.yml]\nservices:\n  web: {image: busybox:1}\n");
        Assert.Contains(Load.ErrorsOf(() => LoadDir()), e => e.EndsWith("include: cycle: a.yml -> b.yml -> a.yml", StringComparison.Ordinal) && e.StartsWith("b.yml:1:", StringComparison.Ordinal));
    }

    [Fact]
    public void An_include_cycle_between_files_of_one_name_prints_them_by_directory()
    {
        Write("a/compose.yml", "include: [../b/compose.yml]\nservices:\n  a: {image: busybox:1}\n");
        Write("b/compose.yml", "include: [../a/compose.yml]\nservices:\n  b: {image: busybox:1}\n");
        Write("compose.yml", "include: [a/compose.yml]\nservices:\n  web: {image: busybox:1}\n");
        Assert.Contains("b/compose.yml:1:11: include: cycle: a/compose.yml -> b/compose.yml -> a/compose.yml", Load.ErrorsOf(() => LoadDir()));
    }

    [Fact]
    public void Including_the_main_file_again_is_a_cycle()
    {
        Write("a.yml", "include: [compose.yml]\nservices:\n  a: {image: busybox:1}\n");
        Write("compose.yml", "include: [a.yml]\nservices:\n  web: {image: busybox:1}\n");
        var error = Assert.Single(Load.ErrorsOf(() => LoadDir()));
        Assert.Equal("a.yml:1:11: include: cycle: compose.yml -> a.yml -> compose.yml", error);
    }

    [Fact]
    public void Config_shows_the_included_services_as_part_of_the_project()
    {
        Write("db/compose.yml", "services:\n  db: {image: postgres:16}\n");
        Write("compose.yml", "include: [db/compose.yml]\nservices:\n  web: {image: busybox:1}\n");
        var yaml = ProjectWriter.ToYaml(LoadDir());
        Assert.Contains("  db:\n", yaml, StringComparison.Ordinal);
        Assert.Contains("postgres:16", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("include:", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_included_file_is_a_located_error()
    {
        Write("compose.yml", "services:\n  web: {image: busybox:1}\ninclude:\n  - nowhere.yml\n");
        var error = Assert.Single(Load.ErrorsOf(() => LoadDir()));
        Assert.StartsWith("compose.yml:4:5: include \"nowhere.yml\": file not found (resolved to ", error);
    }

    [Fact]
    public void Includes_nested_deeper_than_the_limit_are_refused()
    {
        for (var i = 0; i < 5; i++)
        {
            Write($"f{i}.yml", $"include: [f{i + 1}.yml]\nservices:\n  s{i}: {{image: busybox:1}}\n");
        }

        Write("f5.yml", "services:\n  s5: {image: busybox:1}\n");
        Write("compose.yml", "include: [f0.yml]\nservices:\n  web: {image: busybox:1}\n");
        var limits = LoadLimits.Default with { IncludeDepth = 3 };
        Assert.Contains(Load.ErrorsOf(() => LoadDir(limits)), e => e.Contains("include: includes nest deeper than 3 files", StringComparison.Ordinal));
        Assert.Equal(7, LoadDir().Services.Count);
    }

    [Fact]
    public void An_included_file_larger_than_the_limit_is_refused_like_the_main_file()
    {
        Write("big.yml", "services:\n  big: {image: busybox:1}\n" + new string('#', 200));
        Write("compose.yml", "include: [big.yml]\nservices:\n  web: {image: busybox:1}\n");
        var limits = LoadLimits.Default with { FileBytes = 150 };
        Assert.Contains(Load.ErrorsOf(() => LoadDir(limits)), e => e.Contains("include \"big.yml\": the file is larger than 150 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void An_include_entry_without_path_is_a_located_error()
    {
        Write("compose.yml", "include:\n  - project_directory: x\nservices:\n  web: {image: busybox:1}\n");
        Assert.Contains("compose.yml:2:5: include: path is required", Load.ErrorsOf(() => LoadDir()));
    }

    [Fact]
    public void A_load_confined_to_a_directory_reads_nothing_outside_it_and_says_where()
    {
        // The server confines a request's load to the files it sent: a file elsewhere on the server (its environment,
        // its keys) must not be readable into a spec through include, extends, env_file or a build context.
        Write("outside/secret.yml", "services:\n  leak: {image: busybox:1}\n");
        Write("outside/secret.env", "TOKEN=hunter2\n");
        Write("inside/local.env", "A=1\n");
        Write("inside/compose.yml", """
            include: [../outside/secret.yml]
            services:
              web:
                image: busybox:1
                env_file: [local.env, ../outside/secret.env]
              base:
                extends: {file: /proc/self/environ, service: x}
              built:
                build: {context: /}
            """);
        var confined = LoadLimits.Default with { ReadsConfinedTo = Path.Combine(_dir, "inside") };
        var errors = Load.ErrorsOf(() => ProjectLoader.Load(
            new ProjectLoadOptions(["compose.yml"], Path.Combine(_dir, "inside"), null, [], new Dictionary<string, string>()) { Limits = confined }));
        Assert.Contains(errors, e => e.StartsWith("compose.yml:1:", StringComparison.Ordinal) && e.Contains("only the files sent with the request", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("secret.env", StringComparison.Ordinal) && e.Contains("only the files sent with the request", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("/proc/self/environ", StringComparison.Ordinal) && e.Contains("only the files sent with the request", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("build.context", StringComparison.Ordinal) && e.Contains("only the files sent with the request", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("local.env", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("hunter2", StringComparison.Ordinal));
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private ProjectSpec LoadDir(LoadLimits? limits = null) =>
        ProjectLoader.Load(new ProjectLoadOptions(["compose.yml"], _dir, null, [], new Dictionary<string, string>()) { Limits = limits ?? LoadLimits.Default });
}
