using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp down</c>: remove every replica the runtime holds for the project, dependents before their
/// dependencies, running prestop hooks first. Like <c>terraform destroy</c>, it removes what is deployed,
/// including services no longer in the file, so it is the one command that accepts a file without services.
/// </summary>
internal static class DownCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var timeout = CliValues.StopTimeout("Give each replica this long to stop before it is killed, instead of its stop_grace_period (e.g. 5s, or 5 as Compose writes it)");
        var command = new Command("down", "Remove every service of the project, in reverse dependency order") { timeout };
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
                if (parse.GetResult(timeout) is not null)
                {
                    context.Error.WriteLine("nkapp down: -t/--timeout is not yet available with --server; nothing was changed");
                    return ExitCodes.Error;
                }

                return await RemoteCommands.DownAsync(remote, loaded.Spec.Name, context, cancellationToken).ConfigureAwait(false);
            }

            await using var session = await SessionOrError.StartAsync(loaded.Spec, ReconcilerSettings.Default, "down", context, cancellationToken, withoutState: true, stopTimeout: parse.GetValue(timeout)).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var accepted = await session.AskAsync<SpecAccepted>(DestroyProject.Instance, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var completed = await session.AwaitRunAsync(accepted.Generation, null, cancellationToken).ConfigureAwait(false);
            return completed?.Result.Succeeded == true ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }
}
