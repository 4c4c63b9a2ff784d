using System.CommandLine;
using System.Text.Json;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp status</c>: each replica the runtime holds, its state and health, its config hash and generation, and
/// whether it matches the file. Read-only: it takes no lock, so it works while <c>up --watch</c> runs.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
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
            var rows = new List<Row>();
            foreach (var replica in observed.Replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica))
            {
                var health = replica.State == ReplicaState.Running
                    ? await provider.ProbeHealthAsync(new ReplicaId(projectRef, replica.Service, replica.Replica), cancellationToken).ConfigureAwait(false)
                    : HealthStatus.None;
                var current = loaded.Spec.Services.TryGetValue(replica.Service, out var spec)
                    ? ConfigHash.Compute(spec) == replica.ConfigHash ? "yes" : "no (config changed)"
                    : "no (orphan)";
                rows.Add(new Row(replica.Service, replica.Replica, State(replica), health.ToString().ToLowerInvariant(), replica.ConfigHash, replica.Generation, current, replica.Id));
            }

            if (parse.GetValue(format) == "json")
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new { project = loaded.Spec.Name, replicas = rows }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            if (rows.Count == 0)
            {
                context.Out.WriteLine($"{loaded.Spec.Name}: nothing deployed");
                return ExitCodes.Ok;
            }

            context.Out.WriteLine($"{"SERVICE",-16} {"REPLICA",7} {"STATE",-12} {"HEALTH",-9} {"CONFIG",-12} {"GEN",4}  CURRENT");
            foreach (var row in rows)
            {
                context.Out.WriteLine($"{row.Service,-16} {row.Replica,7} {row.State,-12} {row.Health,-9} {row.ConfigHash[..Math.Min(12, row.ConfigHash.Length)],-12} {row.Generation,4}  {row.Current}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string State(ObservedReplica replica) => replica.State switch
    {
        ReplicaState.Exited when replica.ExitCode is { } code => $"exited ({code})",
        var state => state.ToString().ToLowerInvariant(),
    };

    private sealed record Row(string Service, int Replica, string State, string Health, string ConfigHash, long Generation, string Current, string? Id);
}
