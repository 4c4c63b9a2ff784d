using System.CommandLine;
using System.Threading.Channels;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp logs [SERVICE...] [-f] [--tail N] [-t] [--since WHEN]</c>: the output of each replica and of the service's hooks, prefixed as
/// Compose prints it (<c>db-1 |</c>, <c>db-prestart |</c>); every service's, interleaved, when none is named. As in Compose, <c>-f</c> here means <c>--follow</c>; the file is <c>--file</c>.
/// On a terminal each service's prefix has its own colour, from Compose's palette in the same order; not with
/// <c>--no-color</c>, with <c>NO_COLOR</c> set, or when the output is not a terminal.
/// </summary>
internal static class LogsCommand
{
    /// <summary>Compose's prefix colours (SGR codes), given to the services in name order and cycled.</summary>
    private static readonly string[] Palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(fileAlias: false, rememberedEnvironment: true);
        var services = new Argument<string[]>("SERVICE") { Description = "The services whose output to show (default: every service)", Arity = ArgumentArity.ZeroOrMore };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until Ctrl-C (as in Compose, -f follows here; the file is --file)" };
        var tail = CliValues.Count("--tail", "Only the last N lines of each replica (default: all)", "-n");
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Start each line with the RFC 3339 time it was written" };
        var since = CliValues.Instant("--since", "Only lines written since then: a duration back from now (10m, 1m30s) or an RFC 3339 timestamp", TimeProvider.System);
        var noColor = new Option<bool>("--no-color") { Description = "Print the prefixes without colours (as NO_COLOR does)" };
        var command = new Command("logs", "Show the services' output") { services, follow, tail, timestamps, since, noColor };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.LoadWithServices(parse, context, services) is not { Project: var loaded, Services: var named })
            {
                return ExitCodes.Error;
            }

            var byTime = parse.GetValue(timestamps) || parse.GetValue(since) is not null;
            var options = new LogReadOptions(parse.GetValue(tail), parse.GetValue(follow), parse.GetValue(timestamps), parse.GetValue(since));
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteCommands.LogsAsync(remote, loaded.Spec, named, options, context, cancellationToken).ConfigureAwait(false);
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

            if (byTime && !logs.KnowsLineTimes)
            {
                context.Error.WriteLine($"nkapp logs: runtime {provider.Name} records no time per line, so -t/--timestamps and --since cannot be honoured for project {loaded.Spec.Name}");
                return ExitCodes.Error;
            }

            var projectRef = ProjectRef.Of(loaded.Spec);
            var observed = await provider.ObserveAsync(projectRef, cancellationToken).ConfigureAwait(false);
            var replicas = named.SelectMany(name => observed.Replicas.Where(r => r.Service == name).Select(r => r.Replica)
                .Concat(Enumerable.Range(1, loaded.Spec.Services[name].Replicas)).Distinct().Order()
                .Select(n => new ReplicaId(projectRef, name, n))).ToList();
            var lines = Channel.CreateUnbounded<string>();

            // Hooks are kept beside their service's replicas: db-prestart | ... before db-1 | ...
            var hooks = named.SelectMany(name => Enum.GetValues<HookKind>().Where(k => loaded.Spec.Services[name].Hooks.For(k) is not null)
                .Select(k => (Service: name, Kind: k, Prefix: $"{name}-{k.ToString().ToLowerInvariant()}"))).ToList();
            var width = replicas.Select(r => $"{r.Service}-{r.Replica}".Length).Concat(hooks.Select(h => h.Prefix.Length)).DefaultIfEmpty(0).Max();
            var colours = Colours(context, parse.GetValue(noColor), named);
            var readers = hooks.Select(h => Pump(logs.ReadHookLogsAsync(projectRef, h.Service, h.Kind, options, cancellationToken), Prefix(h.Prefix, width, colours, h.Service), lines.Writer, cancellationToken))
                .Concat(replicas.Select(r => Pump(logs.ReadLogsAsync(r, options, cancellationToken), Prefix($"{r.Service}-{r.Replica}", width, colours, r.Service), lines.Writer, cancellationToken)))
                .ToList();
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

    /// <summary>Each service's colour, or none when the output is not a terminal or colour is turned off.</summary>
    private static Dictionary<string, string> Colours(CliContext context, bool noColor, IReadOnlyList<string> services) =>
        noColor || context.Environment.GetValueOrDefault("NO_COLOR") is { Length: > 0 } || !ReferenceEquals(context.Out, Console.Out) || Console.IsOutputRedirected
            ? []
            : services.Order(StringComparer.Ordinal).Select((s, i) => (s, Palette[i % Palette.Length])).ToDictionary(p => p.s, p => p.Item2, StringComparer.Ordinal);

    private static string Prefix(string name, int width, Dictionary<string, string> colours, string service) =>
        colours.TryGetValue(service, out var colour) ? $"\u001b[{colour}m{name.PadRight(width)} |\u001b[0m " : name.PadRight(width) + " | ";

    private static async Task Pump(IAsyncEnumerable<string> source, string prefix, ChannelWriter<string> into, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in source.ConfigureAwait(false))
            {
                await into.WriteAsync(prefix + line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
