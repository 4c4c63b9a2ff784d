using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class DotEnvTests
{
    private static Dictionary<string, string> Parse(string text, IReadOnlyDictionary<string, string>? shell = null)
    {
        var errors = new List<ConfigError>();
        var result = DotEnv.Parse(".env", text, n => shell is not null && shell.TryGetValue(n, out var v) ? v : null, errors);
        Assert.Empty(errors);
        return result.ToDictionary(p => p.Key, p => p.Value);
    }

    private static string[] Errors(string text)
    {
        var errors = new List<ConfigError>();
        DotEnv.Parse(".env", text, _ => null, errors);
        return errors.Select(e => e.ToString()).ToArray();
    }

    [Fact]
    public void DotEnv_skips_comments_and_blank_lines_and_strips_export()
    {
        var env = Parse("# comment\n\n  # indented comment\nexport A=1\nB=2\r\n");
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }, env);
    }

    [Fact]
    public void DotEnv_cuts_unquoted_values_at_an_inline_comment_preceded_by_a_space()
    {
        var env = Parse("A=VAL # comment\nB=VAL# not a comment\nC=  spaced value  \nD=\n");
        Assert.Equal("VAL", env["A"]);
        Assert.Equal("VAL# not a comment", env["B"]);
        Assert.Equal("spaced value", env["C"]);
        Assert.Equal("", env["D"]);
    }

    [Fact]
    public void DotEnv_takes_single_quoted_values_literally()
    {
        var env = Parse("A='$OTHER'\nB='${OTHER}'\nC='some\\tvalue'\nD='Let\\'s go!'\nE='# not a comment' # comment\n", Load.Env(("OTHER", "x")));
        Assert.Equal("$OTHER", env["A"]);
        Assert.Equal("${OTHER}", env["B"]);
        Assert.Equal("some\\tvalue", env["C"]);
        Assert.Equal("Let's go!", env["D"]);
        Assert.Equal("# not a comment", env["E"]);
    }

    [Fact]
    public void DotEnv_expands_escapes_and_variables_in_double_quoted_values()
    {
        var env = Parse("A=\"some\\tvalue\"\nB=\"{\\\"hello\\\": \\\"json\\\"}\"\nC=\"line1\\nline2\"\nD=\"VAL # not a comment\" # comment\nE=\"$OTHER and \\$LITERAL\"\nF=\"multi\nline\"\n", Load.Env(("OTHER", "x")));
        Assert.Equal("some\tvalue", env["A"]);
        Assert.Equal("{\"hello\": \"json\"}", env["B"]);
        Assert.Equal("line1\nline2", env["C"]);
        Assert.Equal("VAL # not a comment", env["D"]);
        Assert.Equal("x and $LITERAL", env["E"]);
        Assert.Equal("multi\nline", env["F"]);
    }

    [Fact]
    public void DotEnv_interpolates_from_earlier_entries_and_the_shell_first()
    {
        var env = Parse("A=from-file\nB=${A}-b\nC=${SHELL_ONLY:-d}\nD=$A$A\n", Load.Env(("SHELL_ONLY", "s")));
        Assert.Equal("from-file-b", env["B"]);
        Assert.Equal("s", env["C"]);
        Assert.Equal("from-filefrom-file", env["D"]);

        // compose-go (PR #403): a variable set in the shell wins even inside .env references.
        Assert.Equal("shell-b", Parse("A=from-file\nB=${A}-b\n", Load.Env(("A", "shell")))["B"]);
    }

    [Fact]
    public void DotEnv_reports_located_syntax_errors()
    {
        Assert.Equal([".env:2:1: expected KEY=VALUE: the line has no '='"], Errors("A=1\nNOT_A_PAIR\n"));
        Assert.Equal([".env:1:3: unterminated double-quoted value"], Errors("A=\"open"));
        Assert.Equal([".env:3:3: unterminated \"${\": missing \"}\""], Errors("\nA=1\nB=${A\n"));
        Assert.Equal([".env:1:3: unexpected text after the closing quote"], Errors("A='x' tail\n"));
    }

    [Fact]
    public void Shell_environment_wins_over_dotenv_in_the_project()
    {
        var web = Load.Service("services:\n  web:\n    command: run\n    image: app:${TAG}-${FLAVOR}\n",
            env: Load.Env(("TAG", "shell")), dotEnv: "TAG=file\nFLAVOR=slim\n");
        Assert.Equal("app:shell-slim", web.Image);
    }

    [Fact]
    public void Dotenv_errors_point_into_the_dotenv_file()
    {
        var errors = Load.Errors("services:\n  web:\n    command: run\n", dotEnv: "OK=1\nBROKEN\n");
        Assert.Equal(["/work/proj/.env:2:1: expected KEY=VALUE: the line has no '='"], errors);
    }

    [Fact]
    public void Dotenv_errors_never_quote_the_file_so_a_credentials_file_cannot_leak_through_them()
    {
        const string credentials = "[default]\naws_access_key_id = AKIAs3cr3t1\naws_secret_access_key = s3cr3t2/K7MDENG\n"
            + "-----BEGIN PRIVATE KEY-----\nMIIs3cr3t3\nA=\"x\" s3cr3t4\nB='x's3cr3t5\nC=${s3cr3t6 x}\nD=${X:?s3cr3t7}\ns3cr3t8 VALUE=1\nE=\"s3cr3t9\n";

        var errors = Errors(credentials);

        Assert.Equal(9, errors.Length);
        Assert.All(errors, e => Assert.DoesNotContain("s3cr3t", e));
        Assert.All(errors, e => Assert.Matches(@"^\.env:\d+:\d+: ", e));
    }
}
