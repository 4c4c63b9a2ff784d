using System.CommandLine;
using System.Threading.Channels;
using Nanokit.Cli.Running;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary><c>nkapp logs SERVICE [-f]</c>: the output of each replica of a service, prefixed as Compose prints it.</summary>
internal static class LogsCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
        var service = new Argument<string>("SERVICE") { Description = "The service whose output to show" };
        var follow = new Option<bool>("--follow") { Description = "Keep printing new output until Ctrl-C (-f means --file in every nkapp command)" };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines of each replica" };
        var command = new Command("logs", "Show a service's output") { service, follow, tail };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            var name = parse.GetValue(service)!;
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
            // Logs are read without the project lock, so the check the lock makes for planted links is made here.
            StateDirectory.Verify(StateDirectory.Of(loaded.Spec.WorkingDirectory));

            if (provider is not IReplicaLogs logs)
            {
                context.Error.WriteLine($"runtime {provider.Name} keeps no logs");
                return ExitCodes.Error;
            }

            var projectRef = ProjectRef.Of(loaded.Spec);
            var observed = await provider.ObserveAsync(projectRef, cancellationToken).ConfigureAwait(false);
            var replicas = observed.Replicas.Where(r => r.Service == name).Select(r => r.Replica)
                .Concat(Enumerable.Range(1, spec.Replicas)).Distinct().Order().ToList();
            var options = new LogReadOptions(parse.GetValue(tail), parse.GetValue(follow));
            var lines = Channel.CreateUnbounded<string>();
            var readers = replicas.Select(n => Pump(logs, new ReplicaId(projectRef, name, n), options, lines.Writer, cancellationToken)).ToList();
            _ = Task.WhenAll(readers).ContinueWith(t => lines.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
            try
            {
                await foreach (var line in lines.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    context.Out.WriteLine(line);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is RuntimeException or IOException)
            {
                // A reader failed (a replica gone, the daemon away): say so instead of ending quietly with 0.
                context.Error.WriteLine(e.Message);
                return ExitCodes.Error;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task Pump(IReplicaLogs logs, ReplicaId replica, LogReadOptions options, ChannelWriter<string> into, CancellationToken cancellationToken)
    {
        var prefix = $"{replica.Service}-{replica.Replica} | ";
        try
        {
            await foreach (var line in logs.ReadLogsAsync(replica, options, cancellationToken).ConfigureAwait(false))
            {
                await into.WriteAsync(prefix + line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
