using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp exec SERVICE [-i] [-t|-T] [--index N] CMD...</c> (in a running replica) and <c>nkapp run [--rm] SERVICE [CMD...]</c>
/// (a one-off from the service's definition), as Compose spells them: the command's output byte for byte as it comes
/// (<see cref="CliContext.OutStream"/>, not the text writers), its exit code
/// as nkapp's. Options go before SERVICE; everything after it is the command (<see cref="SeparateCommand"/>). No project
/// lock: they change nothing the reconciler owns. A runtime that cannot run them (<see cref="IReplicaCommands"/>) is
/// named at the service's place in the file. With <c>--server</c>, both run on the project's owner node
/// (<see cref="RemoteForeground"/>).
/// </summary>
internal static class ForegroundCommands
{
    public static Command Exec(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var service = new Argument<string>("SERVICE") { Description = "The service whose replica runs the command" };
        var commandLine = new Argument<string[]>("COMMAND") { Description = "The command and its arguments", Arity = ArgumentArity.OneOrMore };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Pass nkapp's standard input to the command" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Accepted for Compose's habit; the local runtime allocates no pseudo-terminal" };
        var index = CliValues.Count("--index", "The replica to run in (default: 1)");
        var command = new Command("exec", "Run a command in a running replica of a service") { service, commandLine, interactive, tty, NoTty(), index };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var replica = parse.GetValue(index) ?? 1;
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteAsync(context, project, parse, "exec", parse.GetValue(tty), name =>
                    RemoteForeground.ExecAsync(remote, name, parse.GetValue(service)!, replica, parse.GetValue(commandLine)!, Input(context, parse.GetValue(interactive)), context, cancellationToken)).ConfigureAwait(false);
            }

            return await RunAsync(context, project, parse, "exec", parse.GetValue(service)!, cancellationToken, (commands, spec, projectRef, streams) =>
                replica < 1 || replica > spec.Replicas
                    ? throw new RuntimeException("local", projectRef.Name, spec.Name, replica, $"no replica {replica}: the service has {(spec.Replicas == 1 ? "1 replica" : $"{spec.Replicas} replicas")}")
                    : commands.ExecAsync(new ReplicaId(projectRef, spec.Name, replica), [.. parse.GetValue(commandLine)!], streams, cancellationToken),
                parse.GetValue(interactive)).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Run(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var service = new Argument<string>("SERVICE") { Description = "The service whose definition the one-off uses" };
        var commandLine = new Argument<string[]>("COMMAND") { Description = "The command in place of the service's own (default: its own)", Arity = ArgumentArity.ZeroOrMore };
        var remove = new Option<bool>("--rm") { Description = "Remove the one-off when it ends (a local one-off never outlives its command anyway)" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Pass nkapp's standard input to the command" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Accepted for Compose's habit; the local runtime allocates no pseudo-terminal" };
        var command = new Command("run", "Run a one-off command from a service's definition (its dependencies are not started)") { service, commandLine, remove, interactive, tty, NoTty() };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteAsync(context, project, parse, "run", parse.GetValue(tty), name =>
                    RemoteForeground.RunAsync(remote, name, parse.GetValue(service)!, parse.GetValue(commandLine) ?? [], Input(context, parse.GetValue(interactive)), context, cancellationToken)).ConfigureAwait(false);
            }

            return await RunAsync(context, project, parse, "run", parse.GetValue(service)!, cancellationToken, (commands, spec, projectRef, streams) =>
                commands.RunOnceAsync(projectRef, spec, [.. parse.GetValue(commandLine) ?? []], streams, cancellationToken),
                parse.GetValue(interactive)).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// For <c>exec</c> and <c>run</c>, puts <c>--</c> after SERVICE, so that the command's own options (<c>ls -la</c>) are
    /// not taken for nkapp's, as Compose reads them. Options that take a value are found from the command tree itself.
    /// </summary>
    public static string[] SeparateCommand(RootCommand root, string[] args)
    {
        if (args.Length == 0 || root.Subcommands.FirstOrDefault(c => c.Name == args[0] && c.Name is "exec" or "run") is not { } command)
        {
            return args;
        }

        var options = command.Options.Concat(root.Options).ToList();
        for (var i = 1; i < args.Length; i++)
        {
            var token = args[i];
            if (token == "--")
            {
                return args;
            }

            if (token.StartsWith('-') && token.Length > 1)
            {
                var name = token.Split('=', 2)[0];
                var option = options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
                if (option is not null && !token.Contains('=') && option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0)
                {
                    i++;
                }

                continue;
            }

            return [.. args[..(i + 1)], "--", .. args[(i + 1)..]];
        }

        return args;
    }

    /// <summary>
    /// Compose's <c>-T</c>, which scripts pass so that <c>exec -T db pg_dump &gt; db.dump</c> gets no terminal's line
    /// endings: accepted and nothing more, since nkapp allocates no pseudo-terminal (its output is the command's bytes).
    /// </summary>
    private static Option<bool> NoTty() => new("--no-TTY", "-T") { Description = "Accepted for Compose's habit; nkapp allocates no pseudo-terminal anyway" };

    private static Stream? Input(CliContext context, bool interactive) => interactive ? context.Input ?? Console.OpenStandardInput() : null;

    /// <summary>
    /// <c>exec</c> or <c>run</c> with <c>--server</c>: <c>-t</c> is refused before anything is read (the API carries no
    /// pseudo-terminal), then the project is loaded for its name and <paramref name="call"/> runs on its owner.
    /// </summary>
    private static async Task<int> RemoteAsync(CliContext context, ProjectOptions project, ParseResult parse, string verb, bool tty, Func<string, Task<int>> call)
    {
        if (tty)
        {
            context.Error.WriteLine($"nkapp {verb}: -t/--tty is not available with --server (the API carries no pseudo-terminal); nothing was done");
            return ExitCodes.Error;
        }

        return project.Load(parse, context) is { } loaded ? await call(loaded.Spec.Name).ConfigureAwait(false) : ExitCodes.Error;
    }

    private static async Task<int> RunAsync(
        CliContext context, ProjectOptions project, ParseResult parse, string verb, string name, CancellationToken cancellationToken,
        Func<IReplicaCommands, ServiceSpec, ProjectRef, CommandStreams, Task<int>> run, bool interactive)
    {
        if (project.Load(parse, context) is not { } loaded)
        {
            return ExitCodes.Error;
        }

        if (!loaded.Spec.Services.TryGetValue(name, out var spec))
        {
            context.Error.WriteLine($"no such service: {name}");
            return ExitCodes.Error;
        }

        if (RuntimeProviders.ForOrReport(loaded.Spec, context) is not { } provider)
        {
            return ExitCodes.Error;
        }

        await using var owned = RuntimeProviders.Own(provider);
        if (provider is not IReplicaCommands commands)
        {
            context.Error.WriteLine(new ConfigError(spec.Location, $"service {name}: nkapp {verb} is not yet supported on the {provider.Name} runtime (only on runtime: local)"));
            return ExitCodes.Error;
        }

        // Read without the project lock, so the check the lock makes for planted links is made here.
        StateDirectory.Verify(StateDirectory.Of(loaded.Spec.WorkingDirectory));
        var streams = new CommandStreams(Input(context, interactive), context.OutStream, context.ErrorStream);
        return await run(commands, spec, ProjectRef.Of(loaded.Spec), streams).ConfigureAwait(false);
    }
}
