using System.Collections.Immutable;
using System.Text.Json;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;

namespace Nanokit.Cli;

/// <summary>
/// A saved plan (<c>nkapp plan -out FILE</c>), applied by <c>nkapp up FILE</c> only while nothing it was made from
/// has moved — Terraform's saved-plan habit with Nomad's check-index. It records how the project was loaded (files,
/// directory, environment, profiles, name: never the process environment, which may hold secrets), what <c>up</c>
/// was asked to touch, the hash of the desired state with one per service (to name what changed), the hash of the
/// observed state with one line per replica (to name what moved), and the plan itself in its JSON shape.
/// </summary>
internal sealed record PlanFile(
    string Format,
    string Project,
    DateTimeOffset CreatedAt,
    PlanFile.LoadSection Load,
    PlanFile.OptionsSection Options,
    PlanFile.DesiredSection Desired,
    PlanFile.ObservedSection Observed,
    JsonElement Plan)
{
    public const string CurrentFormat = "nanokit-plan/1";

    /// <summary>Far above any real plan; a bound on what reading a wrong file can cost.</summary>
    private const long MaxBytes = 64 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static PlanFile Make(ProjectLoadOptions load, ProjectSpec spec, PlanOptions options, ObservedState observed, ServicePlan plan)
    {
        var replicas = ObservedStateHash.Replicas(observed);
        return new PlanFile(
            CurrentFormat,
            spec.Name,
            DateTimeOffset.UtcNow,
            new LoadSection(load.Files, load.WorkingDirectory, load.Environment, load.Profiles, load.ProjectName),
            new OptionsSection(options.Services, options.RemoveOrphans, options.NoDeps),
            new DesiredSection(DesiredStateHash.Compute(spec, options), DesiredStateHash.Project(spec), DesiredStateHash.Services(spec)),
            new ObservedSection(ObservedStateHash.Compute(replicas), replicas),
            JsonDocument.Parse(PlanJsonRenderer.Render(plan)).RootElement.Clone());
    }

    /// <summary>Writes through a temporary file beside it, so a reader never sees half a plan.</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The plan saved at <paramref name="path"/>, or throws <see cref="PlanFileException"/> naming the file and what is wrong.</summary>
    public static PlanFile Read(string path)
    {
        var (text, problem) = BoundedFile.Read(path, MaxBytes);
        if (text is null)
        {
            throw new PlanFileException($"{path}: cannot read the plan: {problem ?? "file not found"}");
        }

        PlanFile? plan;
        try
        {
            plan = JsonSerializer.Deserialize<PlanFile>(text, Json);
        }
        catch (JsonException e)
        {
            throw new PlanFileException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not a nanokit plan file (invalid JSON)");
        }

        if (plan?.Format != CurrentFormat)
        {
            throw new PlanFileException($"{path}: not a nanokit plan file (format \"{plan?.Format}\", expected \"{CurrentFormat}\"); make one with `nkapp plan -out {Path.GetFileName(path)}`");
        }

        if (plan.Load is null || plan.Options is null || plan.Desired?.Services is null || plan.Observed?.Replicas is null)
        {
            throw new PlanFileException($"{path}: the plan file is incomplete (load, options, desired and observed are all required)");
        }

        return plan;
    }

    public ProjectLoadOptions LoadOptions(IReadOnlyDictionary<string, string> processEnvironment) =>
        new(Load.Files.IsDefault ? [] : Load.Files, Load.ProjectDirectory, Load.Environment, Load.Profiles.IsDefault ? [] : Load.Profiles, processEnvironment, Load.ProjectName);

    public PlanOptions PlanOptions => new() { Services = Options.Services.IsDefault ? [] : Options.Services, RemoveOrphans = Options.RemoveOrphans, NoDeps = Options.NoDeps };

    /// <summary>What differs between the desired state the plan was made from and <paramref name="spec"/>; empty when nothing does.</summary>
    public ImmutableArray<string> DesiredChanges(ProjectSpec spec) =>
        DesiredStateHash.Compute(spec, PlanOptions) == Desired.Hash
            ? []
            : DesiredStateHash.Differences(Desired.Project, Desired.Services, DesiredStateHash.Project(spec), DesiredStateHash.Services(spec)) is { IsEmpty: false } named
                ? named
                : ["the desired state changed"];

    /// <summary>What moved in the runtime since the plan was made; empty when nothing did.</summary>
    public ImmutableArray<string> ObservedChanges(ObservedState observed)
    {
        var now = ObservedStateHash.Replicas(observed);
        return ObservedStateHash.Compute(now) == Observed.Hash
            ? []
            : ObservedStateHash.Differences(Observed.Replicas, now) is { IsEmpty: false } named ? named : ["the observed state changed"];
    }

    public sealed record LoadSection(ImmutableArray<string> Files, string ProjectDirectory, string? Environment, ImmutableArray<string> Profiles, string? ProjectName);

    public sealed record OptionsSection(ImmutableArray<string> Services, bool? RemoveOrphans, bool NoDeps = false);

    public sealed record DesiredSection(string Hash, string Project, ImmutableSortedDictionary<string, string> Services);

    public sealed record ObservedSection(string Hash, ImmutableSortedDictionary<string, string> Replicas);
}

/// <summary>A plan file cannot be used; the message names the file and why.</summary>
internal sealed class PlanFileException(string message) : Exception(message);
