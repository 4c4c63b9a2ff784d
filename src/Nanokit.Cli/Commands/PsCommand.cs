using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp ps [-a] [--format json]</c>: the project's replicas as <c>docker compose ps</c> lists them — name, service,
/// state, health, published ports; running ones unless <c>-a</c>. Read-only, no lock. With <c>--server</c>, the replicas as the
/// project's owner node last observed them (<see cref="RemoteCommands.PsAsync"/>).
/// </summary>
internal static class PsCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var all = new Option<bool>("--all", "-a") { Description = "Also replicas that are not running (exited, missing)" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var services = new Argument<string[]>("SERVICE") { Description = "Only these services", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("ps", "List the project's replicas with state, health and ports") { services, all, format };
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
                return await RemoteCommands.PsAsync(remote, loaded.Spec.Name, parse.GetValue(services) ?? [], parse.GetValue(all), parse.GetValue(format) == "json", context, cancellationToken).ConfigureAwait(false);
            }

            if (RuntimeProviders.ForOrReport(loaded.Spec, context) is not { } provider)
            {
                return ExitCodes.Error;
            }

            await using var owned = RuntimeProviders.Own(provider);
            var named = parse.GetValue(services) ?? [];
            var projectRef = ProjectRef.Of(loaded.Spec);
            var observed = await provider.ObserveAsync(projectRef, cancellationToken).ConfigureAwait(false);
            var stopped = AppliedIntent.StoppedOf(AppliedIntent.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name, context.Error.WriteLine));
            var rows = new List<Row>();
            var now = DateTimeOffset.UtcNow;
            foreach (var replica in observed.Replicas
                .Where(r => (parse.GetValue(all) || r.State != ReplicaState.Exited && r.State != ReplicaState.Missing)
                    && (named.Length == 0 || named.Contains(r.Service)))
                .OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica))
            {
                var health = replica.State == ReplicaState.Running
                    ? await ReplicaHealth.OfAsync(provider, new ReplicaId(projectRef, replica.Service, replica.Replica), cancellationToken).ConfigureAwait(false)
                    : new ReplicaHealth(HealthStatus.None, null);
                var ports = (replica.AppliedDefinition ?? loaded.Spec.Services.GetValueOrDefault(replica.Service))?.Ports ?? [];
                rows.Add(new Row(
                    $"{loaded.Spec.Name}-{replica.Service}-{replica.Replica}",
                    replica.Service,
                    StatusCommand.State(replica, stopped),
                    health.Status == HealthStatus.None ? "" : health.Status.ToString().ToLowerInvariant(),
                    health.RecordedAt,
                    health.Status == HealthStatus.None ? "" : health.Render(now),
                    string.Join(", ", ports.Select(p => p.ToString()))));
            }

            Print(rows, parse.GetValue(format) == "json", context);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The rows as a table or JSON; embedded and <c>--server</c> ps print through here, so both read alike.</summary>
    internal static void Print(IReadOnlyList<Row> rows, bool json, CliContext context)
    {
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            return;
        }

        var healthWidth = Math.Max(10, rows.Select(r => r.HealthShown.Length).DefaultIfEmpty().Max());
        context.Out.WriteLine($"{"NAME",-32} {"SERVICE",-16} {"STATE",-12} {"HEALTH".PadRight(healthWidth)} PORTS");
        foreach (var row in rows)
        {
            context.Out.WriteLine($"{row.Name,-32} {row.Service,-16} {row.State,-12} {row.HealthShown.PadRight(healthWidth)} {row.Ports}".TrimEnd());
        }
    }

    /// <summary>One replica; <see cref="HealthRecordedAt"/> is set when <see cref="Health"/> is the last run's verdict, not a fresh one.</summary>
    internal sealed record Row(string Name, string Service, string State, string Health, DateTimeOffset? HealthRecordedAt, [property: JsonIgnore] string HealthShown, string Ports);
}
