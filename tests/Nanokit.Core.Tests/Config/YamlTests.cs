using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class YamlTests
{
    [Fact]
    public void Yaml_syntax_errors_become_located_config_errors()
    {
        var errors = Load.Errors("services:\n  web:\n    image: [unclosed\n    command: x\n");
        Assert.Single(errors);
        Assert.StartsWith("nanokit.yml:", errors[0]);
        Assert.Contains("YAML syntax error", errors[0]);
    }

    [Fact]
    public void Yaml_anchors_aliases_and_merge_keys_work_as_in_compose()
    {
        const string yaml = """
            x-base: &base
              image: app:1
              command: run
              environment: &env
                A: "1"
            services:
              web:
                <<: *base
                environment:
                  <<: *env
                  B: "2"
              worker:
                <<: *base
                image: app:2
            """;
        var project = Load.Yaml(yaml);
        Assert.Equal("app:1", project.Services["web"].Image);
        Assert.Equal(new[] { "A", "B" }, project.Services["web"].Environment.Keys);
        Assert.Equal("app:2", project.Services["worker"].Image);
        Assert.Equal(["run"], project.Services["worker"].Command!.Value.ToArray());
    }

    [Fact]
    public void Yaml_merge_key_accepts_a_list_where_earlier_sources_win()
    {
        const string yaml = "x-a: &a {image: a, command: a}\nx-b: &b {image: b, working_dir: /b}\nservices:\n  web:\n    <<: [*a, *b]\n";
        var web = Load.Service(yaml);
        Assert.Equal("a", web.Image);
        Assert.Equal("/b", web.WorkingDir);
    }

    [Fact]
    public void Yaml_alias_bombs_are_refused_with_a_located_error()
    {
        var lines = new List<string> { "x-0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++)
        {
            lines.Add($"x-{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]");
        }

        var errors = Load.Errors(string.Join("\n", lines) + "\nservices: {}\n");
        Assert.Single(errors);
        Assert.Matches(@"^nanokit\.yml:\d+:\d+: aliases expand to more than 1000000 nodes", errors[0]);
    }

    [Fact]
    public void Yaml_deep_nesting_is_refused_with_a_located_error()
    {
        var yaml = "x-deep: " + new string('[', 5000) + new string(']', 5000) + "\nservices: {}\n";
        var errors = Load.Errors(yaml);
        Assert.Equal([$"nanokit.yml:1:{8 + YamlReader.MaxDepth}: nesting deeper than {YamlReader.MaxDepth} levels"], errors);
    }

    [Fact]
    public void Yaml_duplicate_keys_and_unknown_aliases_are_errors()
    {
        Assert.Equal(["nanokit.yml:4:5: duplicate key \"image\" in mapping"],
            Load.Errors("services:\n  web:\n    image: a\n    image: b\n    command: x\n"));
        Assert.Single(Load.Errors("services:\n  web: *missing\n"));
    }

    [Fact]
    public void Yaml_top_level_must_be_a_mapping()
    {
        Assert.Equal(["nanokit.yml:1:1: expected a mapping at the top level, got a sequence"], Load.Errors("- a\n- b\n"));
    }

    [Fact]
    public void Yaml_with_two_documents_is_an_error()
    {
        Assert.Equal(["nanokit.yml:2:1: a configuration file holds one YAML document; found a second one"],
            Load.Errors("services: {}\n---\nservices: {}\n"));
    }
}
