using System.Collections.Immutable;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Helpers that load in-memory documents, so most tests need no files.</summary>
internal static class Load
{
    public const string WorkDir = "/work/proj";

    public static ProjectLoadOptions Options(
        IReadOnlyDictionary<string, string>? env = null, string? environment = null, string[]? profiles = null, string? projectName = null) =>
        new([], WorkDir, environment, profiles is null ? [] : [.. profiles], env ?? new Dictionary<string, string>(), projectName);

    public static ProjectSpec Yaml(string yaml, IReadOnlyDictionary<string, string>? env = null, string? dotEnv = null, string? environment = null, string[]? profiles = null) =>
        ProjectLoader.Parse([("nanokit.yml", yaml)], Options(env, environment, profiles), dotEnv);

    public static ProjectSpec Files(params (string Path, string Text)[] files) => ProjectLoader.Parse(files, Options());

    public static ServiceSpec Service(string yaml, string name = "web", IReadOnlyDictionary<string, string>? env = null, string? dotEnv = null) =>
        Yaml(yaml, env, dotEnv).Services[name];

    /// <summary>Loads and expects failure; returns each error rendered as <c>file:line:col: message</c>.</summary>
    public static string[] Errors(string yaml, IReadOnlyDictionary<string, string>? env = null, string? dotEnv = null, string? environment = null) =>
        ErrorsOf(() => Yaml(yaml, env, dotEnv, environment));

    public static string[] ErrorsOf(Func<object> load)
    {
        var ex = Assert.Throws<ConfigException>(load);
        Assert.NotEmpty(ex.Errors);
        return ex.Errors.Select(e => e.ToString()).ToArray();
    }

    public static IReadOnlyDictionary<string, string> Env(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);
}
