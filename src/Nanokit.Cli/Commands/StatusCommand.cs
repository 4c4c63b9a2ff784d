using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp status</c>: each replica the runtime holds, its state and health, its config hash and generation, and
/// whether it matches the file (else what <c>up</c> would do to it). Read-only: it takes no lock, so it works while
/// <c>up --watch</c> runs; it loads the file with the <c>--env</c> the last <c>up</c> applied unless told otherwise.
/// Under the replicas, how the last run ended (<see cref="LastRun"/>): when it failed, each service that failed and why.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("status", "Show each replica's state, health, config hash and generation") { format };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteCommands.StatusAsync(remote, loaded.Spec.Name, parse.GetValue(format) == "json", context, cancellationToken).ConfigureAwait(false);
            }

            if (RuntimeProviders.ForOrReport(loaded.Spec, context) is not { } provider)
            {
                return ExitCodes.Error;
            }

            await using var owned = RuntimeProviders.Own(provider);

            var projectRef = ProjectRef.Of(loaded.Spec);
            var observed = await provider.ObserveAsync(projectRef, cancellationToken).ConfigureAwait(false);
            var applied = AppliedIntent.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name, context.Error.WriteLine);
            var stopped = AppliedIntent.StoppedOf(applied);
            var lastRun = LastRun.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name, context.Error.WriteLine);

            // What `up` would do to each replica, in the words plan and up use.
            var next = PlanEngine.Plan(loaded.Spec, loaded.Graph, observed, new PlanOptions { Stopped = [.. stopped], RestartCounts = AppliedIntent.RestartCountsOf(applied) }).Actions
                .Where(a => a.ReplicaId is not null)
                .GroupBy(a => a.ReplicaId!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var rows = new List<Row>();
            var now = DateTimeOffset.UtcNow;
            // A stopped replica leaves nothing to observe where the platform cannot keep one stopped (Kubernetes deletes the
            // pod): the run state alone says it is there, stopped.
            var gone = stopped.Where(s => loaded.Spec.Services.ContainsKey(s) && !observed.Replicas.Any(r => r.Service == s))
                .SelectMany(s => Enumerable.Range(1, loaded.Spec.Services[s].Replicas).Select(i => new ObservedReplica(s, i, "", ReplicaState.Missing)));
            foreach (var replica in observed.Replicas.Concat(gone).OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica))
            {
                var id = new ReplicaId(projectRef, replica.Service, replica.Replica);
                var health = replica.State == ReplicaState.Running
                    ? await ReplicaHealth.OfAsync(provider, id, cancellationToken).ConfigureAwait(false)
                    : await ReplicaHealth.RecordedAsync(provider, id, cancellationToken).ConfigureAwait(false);
                next.TryGetValue(replica.Id ?? string.Empty, out var action);
                var current = action switch
                {
                    { Action: not ActionType.NoOp } => $"no: up would {PlanJsonRenderer.Verb(action.Action)} it ({action.Cause})",
                    { RestartBoundReached: true } => $"yes: left exited ({action.Cause})",
                    _ => "yes",
                };
                rows.Add(new Row(
                    replica.Service, replica.Replica, State(replica, stopped), health.Status.ToString().ToLowerInvariant(), health.RecordedAt, health.Render(now),
                    replica.ConfigHash, replica.Generation, current, replica.Id));
            }

            if (parse.GetValue(format) == "json")
            {
                context.Out.WriteLine(JsonSerializer.Serialize(
                    new { project = loaded.Spec.Name, replicas = rows, lastRun, appliedGeneration = applied?.Generation },
                    new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            if (rows.Count == 0)
            {
                context.Out.WriteLine($"{loaded.Spec.Name}: nothing deployed");
                WriteLastRun(context, lastRun, applied, now);
                return ExitCodes.Ok;
            }

            var healthWidth = Math.Max(9, rows.Max(r => r.HealthShown.Length));
            context.Out.WriteLine($"{"SERVICE",-16} {"REPLICA",7} {"STATE",-12} {"HEALTH".PadRight(healthWidth)} {"CONFIG",-12} {"GEN",4}  CURRENT");
            foreach (var row in rows)
            {
                context.Out.WriteLine($"{row.Service,-16} {row.Replica,7} {row.State,-12} {row.HealthShown.PadRight(healthWidth)} {row.ConfigHash[..Math.Min(12, row.ConfigHash.Length)],-12} {row.Generation,4}  {row.Current}");
            }

            WriteLastRun(context, lastRun, applied, now);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>How the last run ended, under the replicas: a failed one with each failure, whatever the replicas show now.</summary>
    private static void WriteLastRun(CliContext context, LastRun? lastRun, AppliedIntent? applied, DateTimeOffset now)
    {
        if (lastRun is null)
        {
            return;
        }

        context.Out.WriteLine();
        foreach (var line in lastRun.Render(now, applied?.Generation))
        {
            context.Out.WriteLine(line);
        }
    }

    /// <summary>The replica's state; one of a service kept stopped by <c>nkapp stop</c> that is not running reads "stopped".</summary>
    internal static string State(ObservedReplica replica, IReadOnlySet<string> stopped) => replica.State switch
    {
        ReplicaState.Exited or ReplicaState.Missing when stopped.Contains(replica.Service) => "stopped",
        ReplicaState.Exited when replica.ExitCode is { } code => $"exited ({code})",
        var state => state.ToString().ToLowerInvariant(),
    };

    /// <summary>One replica; <see cref="HealthRecordedAt"/> is set when <see cref="Health"/> is the last run's verdict, not a fresh one.</summary>
    private sealed record Row(
        string Service, int Replica, string State, string Health, DateTimeOffset? HealthRecordedAt, [property: JsonIgnore] string HealthShown,
        string ConfigHash, long Generation, string Current, string? Id);
}
