using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json;
using Nanokit.Cli.Running;
using Nanokit.Core.Config;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;

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
        var services = new Argument<string[]>("SERVICE") { Description = "Only these services and their dependencies; or one FILE.plan saved by `nkapp plan -out`", Arity = ArgumentArity.ZeroOrMore };
        var planFile = new Option<string?>("--plan") { Description = "Apply exactly the plan saved in this file by `nkapp plan -out`; refused if the file or the runtime moved since" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Stay running: heal drift and retry failures until Ctrl-C" };
        var timeout = CliValues.Duration("--timeout", "Give up waiting for convergence after this long (e.g. 5m, 1m30s); services keep running");
        var wait = new Option<bool>("--wait") { Description = "Also wait until every running replica with a healthcheck is healthy (bounded by --timeout)" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Accepted for Compose's habit: nkapp up always returns once converged, services keep running" };
        var trace = new Option<string?>("--trace") { Description = "Write the run's spans to this file as JSON lines" };
        var removeOrphans = new Option<bool?>("--remove-orphans") { Description = "Remove replicas of services no longer in the file (default: yes, unless services are named)" };
        var noDeps = new Option<bool>("--no-deps") { Description = "With SERVICE names: those services alone, not their dependencies" };
        var noWait = new Option<bool>("--no-wait") { Description = "With --server: return once the intent is accepted, without following it" };
        var command = new Command("up", "Create, recreate and remove services until the runtime matches the file") { services, watch, timeout, trace, removeOrphans, detach, wait, noWait, planFile, noDeps };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                return await RemoteCommands.UpAsync(remote, project, parse, !parse.GetValue(noWait), parse.GetValue(timeout), context, cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(detach) && parse.GetValue(watch))
            {
                context.Error.WriteLine("nkapp: --detach and --watch contradict each other: --watch stays in the foreground");
                return ExitCodes.Error;
            }

            var named = (parse.GetValue(services) ?? []).ToImmutableArray();
            var planPath = parse.GetValue(planFile);
            if (planPath is null && named is [var only] && only.EndsWith(".plan", StringComparison.Ordinal))
            {
                (planPath, named) = (only, []);
            }

            PlanFile? saved = null;
            LoadedProject? loaded;
            PlanOptions options;
            string? environment;
            if (planPath is not null)
            {
                var extra = (named.IsEmpty ? null : named[0]) ?? project.FirstGiven(parse) ?? (parse.GetResult(removeOrphans) is { Implicit: false } ? "--remove-orphans" : null) ?? (parse.GetResult(noDeps) is { Implicit: false } ? "--no-deps" : null);
                if (extra is not null)
                {
                    context.Error.WriteLine($"nkapp: a saved plan carries its own files, options and services; drop {extra}");
                    return ExitCodes.Error;
                }

                try
                {
                    saved = PlanFile.Read(Path.GetFullPath(planPath, context.WorkingDirectory));
                }
                catch (PlanFileException e)
                {
                    context.Error.WriteLine(e.Message);
                    return ExitCodes.Error;
                }

                loaded = ProjectOptions.Load(saved.LoadOptions(context.Environment), context);
                if (loaded is null)
                {
                    return ExitCodes.Error;
                }

                if (saved.DesiredChanges(loaded.Spec) is { IsEmpty: false } changed)
                {
                    context.Error.WriteLine($"nkapp: refusing the saved plan {planPath}: the configuration changed since it was made ({string.Join("; ", changed)}); make a new one with `nkapp plan -out {planPath}`");
                    return ExitCodes.Error;
                }

                options = saved.PlanOptions;
                environment = saved.Load.Environment;
            }
            else
            {
                loaded = project.Load(parse, context);
                if (loaded is null)
                {
                    return ExitCodes.Error;
                }

                if (named.FirstOrDefault(s => !loaded.Spec.Services.ContainsKey(s)) is { } unknown)
                {
                    context.Error.WriteLine($"no such service: {unknown}");
                    return ExitCodes.Error;
                }

                options = new PlanOptions { Services = named, RemoveOrphans = parse.GetValue(removeOrphans), NoDeps = parse.GetValue(noDeps) };
                environment = project.LoadOptions(parse, context).Environment;
            }

            var watching = parse.GetValue(watch);

            // A saved plan is checked against the runtime as it was left: a resumed run would move it first.
            var settings = ReconcilerSettings.Default with { DriftTimer = watching, RetryFailedRuns = watching, ResumeOnRecovery = saved is null };
            using var traceFile = parse.GetValue(trace) is { } tracePath ? new TraceFile(Path.GetFullPath(tracePath, context.WorkingDirectory)) : null;
            using var otlp = Otlp.StartIfConfigured(context.Environment);
            await using var session = await SessionOrError.StartAsync(loaded.Spec, settings, "up", context, cancellationToken, environment: new RememberedEnvironment(environment)).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            if (saved is not null && await MovedSinceAsync(saved, session, loaded, options, cancellationToken).ConfigureAwait(false) is { } moved)
            {
                context.Error.WriteLine($"nkapp: refusing the saved plan {planPath}: {moved}; make a new one with `nkapp plan -out {planPath}`");
                return ExitCodes.Error;
            }

            var apply = new ApplySpec(loaded.Spec, options) { ExpectedObserved = saved?.Observed.Hash };
            var accepted = await session.AskAsync<SpecAccepted>(apply, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
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
                        LastRun.RememberWaitFailed(loaded.Spec.WorkingDirectory, loaded.Spec.Name, unhealthy.Select(r => new LastRunFailure(r, "unhealthy when up --wait checked it after the run")));
                        context.Error.WriteLine($"{loaded.Spec.Name}: unhealthy: {string.Join(", ", unhealthy)}");
                        return ExitCodes.Error;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    LastRun.RememberWaitFailed(loaded.Spec.WorkingDirectory, loaded.Spec.Name, [new LastRunFailure("*", $"up --wait: not every replica healthy within {Durations.Format(parse.GetValue(timeout)!.Value)}")]);
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

    /// <summary>
    /// Why the saved plan no longer applies to the runtime (replicas that moved, or a planner that now plans otherwise),
    /// or null. Checked under the project lock; the run checks the observed state again when it observes.
    /// </summary>
    private static async Task<string?> MovedSinceAsync(PlanFile saved, RunSession session, LoadedProject loaded, PlanOptions options, CancellationToken cancellationToken)
    {
        var observed = await session.Provider.ObserveAsync(ProjectRef.Of(loaded.Spec), cancellationToken).ConfigureAwait(false);
        if (saved.ObservedChanges(observed) is { IsEmpty: false } moved)
        {
            return $"the runtime changed since it was made ({string.Join("; ", moved)})";
        }

        // `plan -out` planned with the restart counts then applied; so does this check.
        var counts = AppliedIntent.RestartCountsOf(AppliedIntent.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name));
        using var now = JsonDocument.Parse(PlanJsonRenderer.Render(PlanEngine.Plan(loaded.Spec, loaded.Graph, observed, options with { RestartCounts = counts })));
        return JsonElement.DeepEquals(now.RootElement, saved.Plan) ? null : "this nkapp plans the same inputs differently from the one that saved it";
    }
}
