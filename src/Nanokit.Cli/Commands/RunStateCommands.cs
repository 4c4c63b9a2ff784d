using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp stop|start|restart [SERVICE...]</c>, as Compose spells them, but through the reconciler: each is a new
/// generation of the accepted spec (the file is not re-read, as Compose's own <c>stop</c> does not), with the services
/// kept stopped recorded as intent, so that drift heals leave a deliberate stop alone. <c>up</c> starts them again.
/// With <c>--server</c> the control plane stores that generation (<see cref="RemoteCommands.ChangeRunStateAsync"/>).
/// </summary>
internal static class RunStateCommands
{
    public static Command Stop(CliContext context) =>
        Create(context, "stop", "Stop services and keep them stopped (drift leaves them) until start, restart or up", (services, timeout) => new StopServices(services) { StopTimeout = timeout });

    public static Command Start(CliContext context) =>
        Create(context, "start", "Start stopped services again", (services, _) => new StartServices(services));

    public static Command Restart(CliContext context) =>
        Create(context, "restart", "Stop and start services again (stopped ones start)", (services, timeout) => new RestartServices(services) { StopTimeout = timeout });

    private static Command Create(CliContext context, string name, string description, Func<ImmutableArray<string>, TimeSpan?, object> request)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var services = new Argument<string[]>("SERVICE") { Description = "Only these services (default: every service)", Arity = ArgumentArity.ZeroOrMore };
        var timeout = CliValues.StopTimeout("Give each replica this long to stop before it is killed, instead of its stop_grace_period");
        var noWait = new Option<bool>("--no-wait") { Description = "With --server: return once the intent is accepted, without following it" };
        var command = new Command(name, description) { services, noWait };
        if (name != "start")
        {
            command.Add(timeout);
        }

        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            var stopTimeout = name == "start" ? null : parse.GetValue(timeout);
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteCommands.ChangeRunStateAsync(remote, loaded.Spec.Name, name, parse.GetValue(services) ?? [], stopTimeout, !parse.GetValue(noWait), context, cancellationToken).ConfigureAwait(false);
            }

            await using var session = await SessionOrError.StartAsync(loaded.Spec, ReconcilerSettings.Default, name, context, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var reply = await session.AskAsync<object>(request([.. parse.GetValue(services) ?? []], stopTimeout), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            if (reply is IntentRefused refused)
            {
                context.Error.WriteLine($"{refused.Project}: {refused.Reason}");
                return ExitCodes.Error;
            }

            var completed = await session.AwaitRunAsync(((SpecAccepted)reply).Generation, null, cancellationToken).ConfigureAwait(false);
            return completed?.Result.Succeeded == true ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }
}
