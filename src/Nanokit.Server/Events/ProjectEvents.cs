using Google.Protobuf;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Events;

/// <summary>
/// The reconciler's event-stream messages as API events (<see cref="ProjectEvent"/>), and their stored form: the
/// event's protobuf JSON without its revision (the log assigns that when the event is written).
/// </summary>
internal static class ProjectEvents
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static ProjectEvent Accepted(string project, long generation, string node, DesiredState desired) =>
        New(project, generation, node, e => e.IntentAccepted = new Api.V1.IntentAccepted { DesiredState = desired });

    public static ProjectEvent From(Reconciler.RunStarted started, string node) => New(started.Project, started.Generation, node, e =>
    {
        var run = new Api.V1.RunStarted
        {
            Trigger = Trigger(started.Trigger),
            Add = started.Plan.Summary.Add,
            Change = started.Plan.Summary.Change,
            Destroy = started.Plan.Summary.Destroy,
        };
        run.Layers.AddRange(started.Plan.Layers.Select(layer =>
        {
            var planned = new PlannedLayer { Index = layer.Index };
            planned.Actions.AddRange(layer.Actions.Select(a => new PlannedAction { Action = PlanJsonRenderer.WireName(a.Action), Service = a.Service, Replica = a.Replica }));
            return planned;
        }));
        e.RunStarted = run;
    });

    public static ProjectEvent From(Reconciler.ServiceProgress progress, string node) => New(progress.Project, progress.Generation, node, e =>
        e.ServiceProgress = new Api.V1.ServiceProgress
        {
            Service = progress.Service,
            Phase = progress.Phase.ToString().ToLowerInvariant(),
            Message = progress.Message,
            ElapsedSeconds = progress.Elapsed.TotalSeconds,
        });

    public static ProjectEvent From(Reconciler.RunCompleted completed, string node) => New(completed.Project, completed.Generation, node, e =>
    {
        var run = new Api.V1.RunCompleted
        {
            Trigger = Trigger(completed.Trigger),
            Succeeded = completed.Result.Succeeded,
            DurationSeconds = completed.Result.Duration.TotalSeconds,
        };
        run.Failures.AddRange(completed.Result.Failures.Select(f => new Api.V1.ServiceFailure { Service = f.Service, Reason = f.Reason }));
        e.RunCompleted = run;
    });

    /// <summary>A drift report carries no generation: the event names the one the owner last accepted (0 when unknown).</summary>
    public static ProjectEvent From(DriftReport drift, long generation, string node) => New(drift.Project, generation, node, e =>
        e.DriftFound = new DriftFound
        {
            Plan = drift.Plan.ToString(),
            Add = drift.Plan.Summary.Add,
            Change = drift.Plan.Summary.Change,
            Destroy = drift.Plan.Summary.Destroy,
        });

    public static string ToJson(ProjectEvent e) => Formatter.Format(e);

    public static ProjectEvent FromJson(string json, long revision)
    {
        var e = Parser.Parse<ProjectEvent>(json);
        e.Revision = revision;
        return e;
    }

    /// <summary>The words embedded <c>nkapp up</c> prints for a run's trigger.</summary>
    public static string Trigger(RunTrigger trigger) => trigger switch
    {
        RunTrigger.Spec => "apply",
        RunTrigger.Resume => "resuming after a restart",
        RunTrigger.Drift => "healing drift",
        RunTrigger.Retry => "retrying",
        _ => trigger.ToString(),
    };

    private static ProjectEvent New(string project, long generation, string node, Action<ProjectEvent> body)
    {
        var e = new ProjectEvent { Project = project, Generation = generation, Node = node, At = DateTime.UtcNow.ToString("O") };
        body(e);
        return e;
    }
}
