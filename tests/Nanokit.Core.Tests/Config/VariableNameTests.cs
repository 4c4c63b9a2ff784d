using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// A variable a service gets must be a name and nothing more, wherever it comes from: a key holding '=' would
/// replace another variable (PATH=/x:/usr/bin), and NUL would cut the entry short.
/// </summary>
public sealed class VariableNameTests
{
    [Theory]
    [InlineData("\"PATH=/x:/usr/bin\": y", "a variable name cannot contain '='")]
    [InlineData("\"\": y", "a variable name cannot be empty")]
    [InlineData("\"A\\0B\": y", "a variable name cannot contain a NUL character")]
    [InlineData("\"MY VAR\": y", "a variable name cannot contain whitespace")]
    [InlineData("\"A\\u0001\": y", "a variable name cannot contain a control character")]
    public void An_invalid_name_in_an_environment_mapping_is_a_located_error(string entry, string problem) =>
        Assert.Equal([$"nanokit.yml:4:7: environment: {problem}"], Load.Errors($"services:\n  web:\n    environment:\n      {entry}\n    command: run\n"));

    [Fact]
    public void An_empty_name_in_an_environment_list_is_a_located_error() =>
        Assert.Equal(["nanokit.yml:4:9: environment: a variable name cannot be empty"], Load.Errors("services:\n  web:\n    environment:\n      - =value\n    command: run\n"));

    [Fact]
    public void A_list_entry_sets_the_variable_named_before_its_first_equals_sign()
    {
        var web = Load.Service("services:\n  web:\n    environment:\n      - PATH=/x:/usr/bin\n    command: run\n");

        Assert.Equal("/x:/usr/bin", web.Environment["PATH"]);
    }

    [Fact]
    public void An_invalid_name_in_the_project_dotenv_is_a_located_error_that_does_not_quote_it() =>
        Assert.Equal(["/work/proj/.env:2:1: invalid variable name: a variable name cannot contain whitespace"],
            Load.Errors("services:\n  web:\n    command: run\n", dotEnv: "OK=1\nSECRET VALUE=x\n"));

    [Fact]
    public void Names_with_dots_and_dashes_stay_valid_as_Compose_allows_them()
    {
        var web = Load.Service("services:\n  web:\n    environment: {spring.profiles.active: prod, my-flag: on}\n    command: run\n");

        Assert.Equal(["my-flag", "spring.profiles.active"], web.Environment.Keys);
    }
}
