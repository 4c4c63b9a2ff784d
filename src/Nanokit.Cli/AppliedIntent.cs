using System.Collections.Immutable;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Cli;

/// <summary>
/// <c>.nanokit/applied.json</c>: the CLI's read model of the project's accepted intent, rewritten whenever the reconciler
/// publishes <see cref="IntentAccepted"/> (the journal stays the source of truth). It lets the commands that take no
/// lock — <c>status</c>, <c>ps</c>, <c>logs</c>, <c>drift</c> — know what is applied while <c>up --watch</c> holds the
/// lock: the generation and its resolved spec, the services kept stopped, the replicas' restart counts, and the <c>--env</c> the
/// last <c>up</c> used.
/// The spec holds resolved values, secrets included, so the file is owner-only, as <c>state.db</c> is.
/// </summary>
internal sealed record AppliedIntent(
    string Project,
    long Generation,
    string? Environment,
    ProjectSpec? Spec,
    ImmutableArray<string> Services,
    bool? RemoveOrphans,
    ImmutableArray<string> Stopped,
    bool NoDeps = false)
{
    /// <summary>How many times each replica was brought back after it exited (<see cref="RestartsCounted"/>), so that lock-free commands plan as the reconciler does.</summary>
    public ImmutableArray<RestartCount> RestartCounts { get; init; } = [];

    /// <summary>The restart counts, none when null.</summary>
    public static ImmutableArray<RestartCount> RestartCountsOf(AppliedIntent? applied) =>
        applied is null || applied.RestartCounts.IsDefault ? [] : applied.RestartCounts;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string PathIn(string projectDirectory) => Path.Combine(EmbeddedNode.StateDirectory(projectDirectory), "applied.json");

    /// <summary>The services kept stopped, as a set (none when null).</summary>
    public static ImmutableHashSet<string> StoppedOf(AppliedIntent? applied) =>
        applied is null || applied.Stopped.IsDefault ? [] : applied.Stopped.ToImmutableHashSet(StringComparer.Ordinal);

    /// <summary>The options the applied generation plans with.</summary>
    public PlanOptions PlanOptions => new()
    {
        Services = Services.IsDefault ? [] : Services,
        RemoveOrphans = Spec is null ? true : RemoveOrphans,
        Stopped = Stopped.IsDefault ? [] : Stopped,
        NoDeps = NoDeps,
        RestartCounts = RestartCountsOf(this),
    };

    /// <summary>
    /// What was applied in <paramref name="projectDirectory"/> for <paramref name="project"/>, or null when nothing was
    /// (or the file cannot be read: it is only a cache; <paramref name="warn"/> says so).
    /// </summary>
    public static AppliedIntent? Read(string projectDirectory, string? project, Action<string>? warn = null)
    {
        var applied = StateFiles.Read<AppliedIntent>(PathIn(projectDirectory), Json, warn, "the next `nkapp up`");
        return project is null || applied?.Project == project ? applied : null;
    }

    /// <summary>Writes it (see <see cref="StateFiles.Write"/>).</summary>
    public void Write(string projectDirectory) => StateFiles.Write(PathIn(projectDirectory), this, Json);

    /// <summary>The read model of <paramref name="accepted"/>; <paramref name="environment"/> is the <c>--env</c> to remember.</summary>
    public static AppliedIntent From(IntentAccepted accepted, string? environment) => new(
        accepted.Project,
        accepted.Intent.Generation,
        environment,
        accepted.Intent.Spec,
        accepted.Intent.Services,
        accepted.Intent.RemoveOrphans,
        accepted.Intent.Stopped,
        accepted.Intent.NoDeps);
}
