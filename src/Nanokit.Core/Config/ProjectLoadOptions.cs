using System.Collections.Immutable;

namespace Nanokit.Core.Config;

/// <summary>What to load and with which inputs; the CLI builds it from flags and the process environment.</summary>
/// <param name="Files">The -f files in order; empty means default discovery in <paramref name="WorkingDirectory"/>.</param>
/// <param name="WorkingDirectory">Where relative file paths resolve and discovery looks.</param>
/// <param name="Environment">The <c>environments:</c> entry to overlay (--env NAME), or null for none.</param>
/// <param name="Profiles">Enabled profiles (--profile); <c>COMPOSE_PROFILES</c> from the shell or .env is added, as Compose does.</param>
/// <param name="ProcessEnvironment">The shell environment: interpolation source that wins over .env.</param>
/// <param name="ProjectName">-p NAME; overrides COMPOSE_PROJECT_NAME, <c>name:</c> and the directory name.</param>
public sealed record ProjectLoadOptions(
    ImmutableArray<string> Files,
    string WorkingDirectory,
    string? Environment,
    ImmutableArray<string> Profiles,
    IReadOnlyDictionary<string, string> ProcessEnvironment,
    string? ProjectName = null)
{
    /// <summary>Bounds on file sizes, services, replicas and variables; <see cref="LoadLimits.Default"/> unless raised (benchmarks).</summary>
    public LoadLimits Limits { get; init; } = LoadLimits.Default;

    /// <summary>
    /// Accept a project that defines or enables no service. Only <c>down</c> sets it: it removes what is deployed,
    /// so a file emptied of services is a valid input there, while for <c>up</c> it would remove every replica.
    /// An empty file is refused even then, as Compose refuses it: it no longer says which project or runtime.
    /// </summary>
    public bool AllowNoServices { get; init; }
}
