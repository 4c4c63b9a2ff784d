using System.CommandLine;
using System.Text.Json;
using Nanokit.Cli.Running;
using Nanokit.Reconciler;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp state export</c>: <c>state.json</c>, the human-readable record of what is deployed — the project's
/// generation and, per replica, its runtime id, config hash and generation. Hashes only: no definition, so no secret.
/// </summary>
internal static class StateCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout" };
        var export = new Command("export", "Write what is deployed as state.json") { output };
        project.AddTo(export);
        export.SetAction(async (parse, cancellationToken) =>
        {
            if (Remote.Refused(parse, context, "state export", "`nkapp --server URL status --format json` reads the cluster's record"))
            {
                return ExitCodes.Error;
            }

            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            await using var session = await SessionOrError.StartAsync(loaded.Spec, ReconcilerSettings.Default with { ResumeOnRecovery = false }, "state export", context, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var status = (await session.AskAsync<CurrentProjectStatus>(GetProjectStatus.Instance, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Status;
            var observed = await session.Provider.ObserveAsync(ProjectRef.Of(loaded.Spec), cancellationToken).ConfigureAwait(false);
            var state = new
            {
                version = 1,
                project = loaded.Spec.Name,
                runtime = loaded.Spec.Runtime.ToString().ToLowerInvariant(),
                generation = status.Generation,
                observedGeneration = status.ObservedGeneration,
                exportedAt = DateTimeOffset.UtcNow,
                replicas = observed.Replicas
                    .OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)
                    .Select(r => new { service = r.Service, replica = r.Replica, id = r.Id, configHash = r.ConfigHash, generation = r.Generation, state = r.State.ToString().ToLowerInvariant(), exitCode = r.ExitCode }),
            };
            var json = JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true });
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(Path.GetFullPath(path, context.WorkingDirectory), json + Environment.NewLine, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                context.Out.WriteLine(json);
            }

            return ExitCodes.Ok;
        });
        return new Command("state", "Export the record of what is deployed") { export };
    }
}
