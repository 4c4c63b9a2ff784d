using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Config;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp up</c>: make the runtime match the file, layer by layer, then exit 0 — or 1 naming each failed service
/// and why. With <c>--watch</c> it stays, heals drift and retries failures until Ctrl-C; services keep running.
/// </summary>
internal static class UpCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
        var services = new Argument<string[]>("SERVICE") { Description = "Only these services and their dependencies", Arity = ArgumentArity.ZeroOrMore };
        var watch = new Option<bool>("--watch", "-w") { Description = "Stay running: heal drift and retry failures until Ctrl-C" };
        var timeout = CliValues.Duration("--timeout", "Give up waiting for convergence after this long (e.g. 5m, 1m30s); services keep running");
        var wait = new Option<bool>("--wait") { Description = "Also wait until every running replica with a healthcheck is healthy (bounded by --timeout)" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Accepted for Compose's habit: nkapp up always returns once converged, services keep running" };
        var trace = new Option<string?>("--trace") { Description = "Write the run's spans to this file as JSON lines" };
        var removeOrphans = new Option<bool?>("--remove-orphans") { Description = "Remove replicas of services no longer in the file (default: yes, unless services are named)" };
        var noWait = new Option<bool>("--no-wait") { Description = "With --server: return once the intent is accepted, without following it" };
        var command = new Command("up", "Create, recreate and remove services until the runtime matches the file") { services, watch, timeout, trace, removeOrphans, detach, wait, noWait };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteCommands.UpAsync(remote, project, parse, !parse.GetValue(noWait), parse.GetValue(timeout), context, cancellationToken).ConfigureAwait(false);
            }

            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            if (parse.GetValue(detach) && parse.GetValue(watch))
            {
                context.Error.WriteLine("nkapp: --detach and --watch contradict each other: --watch stays in the foreground");
                return ExitCodes.Error;
            }

            var named = (parse.GetValue(services) ?? []).ToImmutableArray();
            if (named.FirstOrDefault(s => !loaded.Spec.Services.ContainsKey(s)) is { } unknown)
            {
                context.Error.WriteLine($"no such service: {unknown}");
                return ExitCodes.Error;
            }

            var watching = parse.GetValue(watch);
            var settings = ReconcilerSettings.Default with { DriftTimer = watching, RetryFailedRuns = watching };
            using var traceFile = parse.GetValue(trace) is { } tracePath ? new TraceFile(Path.GetFullPath(tracePath, context.WorkingDirectory)) : null;
            using var otlp = Otlp.StartIfConfigured(context.Environment);
            await using var session = await SessionOrError.StartAsync(loaded.Spec, settings, "up", context, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var options = new PlanOptions { Services = named, RemoveOrphans = parse.GetValue(removeOrphans) };
            var accepted = await session.AskAsync<SpecAccepted>(new ApplySpec(loaded.Spec, options), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(timeout) is { } limit)
            {
                deadline.CancelAfter(limit);
            }

            var completed = await session.AwaitRunAsync(accepted.Generation, null, deadline.Token).ConfigureAwait(false);
            if (completed is null)
            {
                context.Error.WriteLine(cancellationToken.IsCancellationRequested
                    ? "interrupted: the run stops here; services already started keep running, and the next `nkapp up` resumes"
                    : $"timed out after {Durations.Format(parse.GetValue(timeout)!.Value)} waiting for generation {accepted.Generation} to converge");
                return ExitCodes.Error;
            }

            if (completed.Result.Succeeded && parse.GetValue(wait))
            {
                try
                {
                    var unhealthy = await HealthWait.UnhealthyAsync(session.Provider, loaded.Spec, named, deadline.Token).ConfigureAwait(false);
                    if (unhealthy.Count > 0)
                    {
                        context.Error.WriteLine($"{loaded.Spec.Name}: unhealthy: {string.Join(", ", unhealthy)}");
                        return ExitCodes.Error;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    context.Error.WriteLine($"timed out after {Durations.Format(parse.GetValue(timeout)!.Value)} waiting for every replica to be healthy");
                    return ExitCodes.Error;
                }
            }

            if (watching)
            {
                context.Out.WriteLine("watching for drift; Ctrl-C to stop (services keep running)");
                await session.WatchAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            return completed.Result.Succeeded ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }
}
