using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class InterpolationTests
{
    private static readonly Dictionary<string, string> Vars = new()
    {
        ["SET"] = "value",
        ["EMPTY"] = "",
        ["FOO"] = "foo",
    };

    private static string Run(string text)
    {
        var result = Interpolation.Interpolate(text, n => Vars.TryGetValue(n, out var v) ? v : null, out var failure);
        Assert.Null(failure);
        return result!;
    }

    private static Interpolation.Failure Fail(string text)
    {
        var result = Interpolation.Interpolate(text, n => Vars.TryGetValue(n, out var v) ? v : null, out var failure);
        Assert.Null(result);
        return failure!;
    }

    [Theory]
    [InlineData("$SET", "value")]
    [InlineData("${SET}", "value")]
    [InlineData("a-$SET-b", "a-value-b")]
    [InlineData("$SET.x", "value.x")]
    [InlineData("${UNSET}", "")]
    [InlineData("$UNSET", "")]
    [InlineData("no dollar", "no dollar")]
    public void Interpolation_substitutes_braced_and_unbraced_names(string text, string expected) => Assert.Equal(expected, Run(text));

    [Theory]
    [InlineData("${UNSET:-d}", "d")]
    [InlineData("${EMPTY:-d}", "d")]
    [InlineData("${SET:-d}", "value")]
    [InlineData("${UNSET-d}", "d")]
    [InlineData("${EMPTY-d}", "")]
    [InlineData("${SET-d}", "value")]
    public void Interpolation_uses_the_default_when_the_variable_is_unset(string text, string expected) => Assert.Equal(expected, Run(text));

    [Theory]
    [InlineData("${SET:+r}", "r")]
    [InlineData("${EMPTY:+r}", "")]
    [InlineData("${UNSET:+r}", "")]
    [InlineData("${SET+r}", "r")]
    [InlineData("${EMPTY+r}", "r")]
    [InlineData("${UNSET+r}", "")]
    public void Interpolation_uses_the_replacement_only_when_the_variable_is_set(string text, string expected) => Assert.Equal(expected, Run(text));

    [Theory]
    [InlineData("${UNSET:-${FOO}}", "foo")]
    [InlineData("${UNSET:-${ALSO_UNSET:-deep}}", "deep")]
    [InlineData("${UNSET:-$FOO-x}", "foo-x")]
    [InlineData("${SET:-${UNSET:?never evaluated}}", "value")]
    [InlineData("${UNSET:-a:b/c}", "a:b/c")]
    public void Interpolation_evaluates_nested_defaults_lazily(string text, string expected) => Assert.Equal(expected, Run(text));

    [Theory]
    [InlineData("$$SET", "$SET")]
    [InlineData("$${SET}", "${SET}")]
    [InlineData("cost $$5", "cost $5")]
    [InlineData("a $ b", "a $ b")]
    [InlineData("end$", "end$")]
    [InlineData("$1", "$1")]
    public void Interpolation_keeps_escaped_and_lone_dollars_literal(string text, string expected) => Assert.Equal(expected, Run(text));

    [Fact]
    public void Interpolation_reports_a_required_variable_with_its_message()
    {
        Assert.Equal("required variable UNSET is missing a value: set it please", Fail("x${UNSET:?set it please}").WithDetail);
        Assert.Equal("required variable EMPTY is missing a value", Fail("${EMPTY:?}").WithDetail);
        Assert.Equal("required variable UNSET is missing a value: need FOO=foo", Fail("${UNSET?need FOO=$FOO}").WithDetail);
        Assert.Equal("value", Run("${SET:?x}"));
        Assert.Equal("", Run("${EMPTY?x}"));
    }

    [Fact]
    public void Interpolation_reports_an_unterminated_brace_at_its_offset()
    {
        var failure = Fail("abc ${FOO");
        Assert.Equal(4, failure.Offset);
        Assert.Equal("unterminated \"${\": missing \"}\"", failure.Message);
        Assert.Equal(0, Fail("${FOO:-${BAR}").Offset);
    }

    [Theory]
    [InlineData("${}")]
    [InlineData("${1A}")]
    [InlineData("${FOO/a/b}")]
    [InlineData("${FOO:x}")]
    public void Interpolation_rejects_invalid_expressions(string text) =>
        Assert.StartsWith("invalid interpolation format", Fail(text).Message);

    [Fact]
    public void Interpolation_in_a_document_reports_the_column_of_the_brace()
    {
        var errors = Load.Errors("services:\n  web:\n    image: app:${TAG\n    command: run\n");
        Assert.Equal(["nanokit.yml:3:16: unterminated \"${\": missing \"}\""], errors);
    }

    [Fact]
    public void Interpolation_applies_to_values_and_not_to_keys()
    {
        var web = Load.Service("services:\n  web:\n    image: app:1\n    command: [\"$CMD\", \"${ARG:-x}\"]\n    labels:\n      $KEY: $VAL\n",
            env: Load.Env(("CMD", "run"), ("KEY", "k"), ("VAL", "v")));
        Assert.Equal(["run", "x"], web.Command!.Value.ToArray());
        Assert.Equal("v", web.Labels["$KEY"]);
    }

    [Fact]
    public void Interpolation_collects_every_failure_of_a_document()
    {
        var errors = Load.Errors("services:\n  web:\n    image: ${A:?need A}\n    command: ${B:?need B}\n");
        Assert.Equal(
            ["nanokit.yml:3:12: required variable A is missing a value: need A", "nanokit.yml:4:14: required variable B is missing a value: need B"],
            errors);
    }

    [Fact]
    public void Interpolated_empty_value_is_an_empty_string_not_null()
    {
        var web = Load.Service("services:\n  web:\n    command: run\n    environment:\n      A: ${UNSET}\n      B:\n");
        Assert.Equal("", web.Environment["A"]);
        Assert.Null(web.Environment["B"]);
    }
}
