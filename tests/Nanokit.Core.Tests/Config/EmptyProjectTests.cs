using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>A file that defines nothing must never read as "a project with no services", which up would converge by removing everything.</summary>
public sealed class EmptyProjectTests
{
    private const string Empty = "nanokit.yml:1:1: the file is empty (nothing but comments or null); a configuration needs a services: section";

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# truncated by a crash\n# nothing left\n")]
    [InlineData("~\n")]
    [InlineData("null\n")]
    [InlineData("---\n")]
    public void An_empty_or_comment_only_file_is_one_located_error(string yaml) =>
        Assert.Equal([Empty], Load.Errors(yaml));

    [Fact]
    public void An_empty_override_file_is_an_error_even_when_the_base_file_has_services() =>
        Assert.Equal(["override.yml:1:1: the file is empty (nothing but comments or null); a configuration needs a services: section"],
            Load.ErrorsOf(() => Load.Files(("nanokit.yml", "services:\n  web:\n    command: run\n"), ("override.yml", "# nothing\n"))));

    [Theory]
    [InlineData("services: {}\n", "nanokit.yml:1:11: services: is empty")]
    [InlineData("services:\n", "nanokit.yml:1:10: services: is empty")]
    [InlineData("name: shop\n", "nanokit.yml:1:1: there is no services: section")]
    [InlineData("name: shop\nservices: {}\nvolumes: {data: {}}\n", "nanokit.yml:2:11: services: is empty")]
    public void A_project_without_services_is_a_located_error(string yaml, string expected)
    {
        var error = Assert.Single(Load.Errors(yaml));
        Assert.StartsWith(expected + "; a project needs at least one service (to remove a deployed project, run nkapp down)", error);
    }

    [Fact]
    public void Merged_files_that_define_no_service_between_them_are_an_error() =>
        Assert.Equal(["nanokit.yml:1:1: there is no services: section; a project needs at least one service (to remove a deployed project, run nkapp down)"],
            Load.ErrorsOf(() => Load.Files(("nanokit.yml", "name: shop\n"), ("override.yml", "runtime: local\n"))));

    [Fact]
    public void A_project_whose_every_service_is_behind_an_unselected_profile_is_an_error()
    {
        var yaml = "services:\n  web:\n    command: run\n    profiles: [dev]\n  db:\n    command: run\n    profiles: [debug, dev]\n";

        Assert.Equal(["nanokit.yml:2:3: no service is enabled: every service belongs to a profile that is not selected (debug, dev); select one with --profile or COMPOSE_PROFILES"],
            Load.Errors(yaml));
        Assert.Equal(["web"], Load.Yaml(yaml, profiles: ["dev"]).Services.Keys.Where(k => k == "web"));
    }

    [Theory]
    [InlineData("services: {}\n")]
    [InlineData("name: shop\nruntime: docker\n")]
    [InlineData("services:\n  web:\n    command: run\n    profiles: [dev]\n")]
    public void Down_loads_a_project_without_services_so_it_can_remove_what_is_deployed(string yaml)
    {
        var project = ProjectLoader.Parse([("nanokit.yml", yaml)], Load.Options() with { AllowNoServices = true });

        Assert.Empty(project.Services);
    }

    [Fact]
    public void Down_still_refuses_an_empty_file_which_no_longer_says_which_project_or_runtime_it_was() =>
        Assert.Equal([Empty], Load.ErrorsOf(() => ProjectLoader.Parse([("nanokit.yml", "# gone\n")], Load.Options() with { AllowNoServices = true })));

    [Fact]
    public void A_file_that_is_not_a_mapping_is_reported_alone_without_a_no_services_error_after_it() =>
        Assert.Equal(["nanokit.yml:1:1: expected a mapping at the top level, got a string"], Load.Errors("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n"));
}
