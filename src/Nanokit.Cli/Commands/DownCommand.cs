using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Providers.Docker;
using Nanokit.Providers.Kubernetes;
using Nanokit.Reconciler;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp down</c>: remove every replica the runtime holds for the project, dependents before their
/// dependencies, running prestop hooks first. Like <c>terraform destroy</c>, it removes what is deployed,
/// including services no longer in the file, so it is the one command that accepts a file without services. After a
/// failed <c>up</c> it removes the replicas of the failed generation too, without resuming that generation first.
/// </summary>
internal static class DownCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var timeout = CliValues.StopTimeout("Give each replica this long to stop before it is killed, instead of its stop_grace_period (e.g. 5s, or 5 as Compose writes it)");
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Also remove the project's named volumes (never an external one)" };
        var images = new Option<string>("--rmi") { Description = "Also remove the services' images: all, or local (only those without a name set by `image`)" };
        images.AcceptOnlyFromAmong("all", "local");
        var command = new Command("down", "Remove every service of the project, in reverse dependency order") { timeout, volumes, images };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context, allowNoServices: true) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                // The control plane removes replicas only: volumes and images stay on the runtime's host, so these are
                // refused rather than accepted and ignored.
                if (parse.GetValue(volumes) || parse.GetValue(images) is not null)
                {
                    context.Error.WriteLine("nkapp down: -v/--volumes and --rmi are not yet available with --server; nothing was changed (run `nkapp down -v` without --server on the runtime's host)");
                    return ExitCodes.Error;
                }

                return await RemoteCommands.DownAsync(remote, loaded.Spec.Name, parse.GetValue(timeout), context, cancellationToken).ConfigureAwait(false);
            }

            // As `docker compose down` and `terraform destroy` after a failed apply: a generation left unconverged is not
            // run again first (it could start what is about to be removed, or fail again); down supersedes it at once.
            var settings = ReconcilerSettings.Default with { ResumeOnRecovery = false };
            await using var session = await SessionOrError.StartAsync(loaded.Spec, settings, "down", context, cancellationToken, withoutState: true).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var accepted = await session.AskAsync<SpecAccepted>(new DestroyProject { StopTimeout = parse.GetValue(timeout) }, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var completed = await session.AwaitRunAsync(accepted.Generation, null, cancellationToken).ConfigureAwait(false);
            if (completed?.Result.Succeeded != true)
            {
                return ExitCodes.Error;
            }

            if (session.Provider is DockerRuntime docker)
            {
                var projectRef = ProjectRef.Of(loaded.Spec);
                var removed = parse.GetValue(volumes) ? await docker.RemoveVolumesAsync(projectRef, cancellationToken).ConfigureAwait(false) : [];
                foreach (var volume in removed)
                {
                    context.Out.WriteLine($"{loaded.Spec.Name}: removed volume {volume}");
                }

                if (parse.GetValue(images) is { } which)
                {
                    foreach (var image in await docker.RemoveImagesAsync(projectRef, loaded.Spec.Services.Values, which == "all", cancellationToken).ConfigureAwait(false))
                    {
                        context.Out.WriteLine($"{loaded.Spec.Name}: removed image {image}");
                    }
                }
            }

            // Claims hold the named volumes' data: like Docker's volumes, they go only when asked.
            if (session.Provider is KubernetesRuntime kubernetes && parse.GetValue(volumes))
            {
                foreach (var volume in await kubernetes.RemoveVolumesAsync(ProjectRef.Of(loaded.Spec), cancellationToken).ConfigureAwait(false))
                {
                    context.Out.WriteLine($"{loaded.Spec.Name}: removed volume {volume}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
