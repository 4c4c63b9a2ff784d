using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using Nanokit.Cli.Running;
using Nanokit.Core.Config;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>up</c>, <c>down</c>, <c>stop</c>, <c>start</c>, <c>restart</c>, <c>status</c>, <c>ps</c>, <c>plan</c> and <c>drift</c> against a control plane (<see cref="Remote"/>),
/// with the embedded commands' output and exit codes: 0 converged / shown / no changes, 1 refused, failed or timed
/// out, 2 changes or drift found (plan --detailed-exitcode, drift), 130 interrupted.
/// </summary>
internal static class RemoteCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> UpAsync(Remote remote, ProjectOptions project, ParseResult parse, bool wait, TimeSpan? timeout, CliContext context, CancellationToken cancellationToken)
    {
        var request = project.ToApplyRequest(parse, context);
        if (request.Files.Count == 0)
        {
            context.Error.WriteLine($"no configuration file found in {context.WorkingDirectory}; give one with -f");
            return ExitCodes.Error;
        }

        return await CallAsync(context, async () =>
        {
            var accepted = await remote.Projects.ApplyProjectAsync(request, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            context.Out.WriteLine($"{accepted.Project}: generation {accepted.Generation} accepted");
            return wait ? await FollowAsync(remote, accepted.Project, accepted.Generation, accepted.Revision, timeout, context, cancellationToken).ConfigureAwait(false) : ExitCodes.Ok;
        }).ConfigureAwait(false);
    }

    /// <param name="stopTimeout">Each replica's grace period in place of its stop_grace_period (<c>-t</c>); null: its own.</param>
    public static async Task<int> DownAsync(Remote remote, string name, TimeSpan? stopTimeout, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            var request = new DeleteProjectRequest { Project = name };
            if (stopTimeout is { } timeout)
            {
                request.StopTimeoutSeconds = timeout.TotalSeconds;
            }

            var accepted = await remote.Projects.DeleteProjectAsync(request, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            context.Out.WriteLine($"{name}: generation {accepted.Generation} (undeployed) accepted");
            return await FollowAsync(remote, name, accepted.Generation, accepted.Revision, null, context, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);

    /// <summary>
    /// <c>stop</c>, <c>start</c> or <c>restart</c> (<paramref name="verb"/>): a new generation of the spec the server
    /// holds (the file names the project only), followed as <c>up</c> follows its own. A refusal is one line naming the
    /// project, as embedded mode prints it.
    /// </summary>
    public static async Task<int> ChangeRunStateAsync(Remote remote, string name, string verb, string[] services, TimeSpan? stopTimeout, bool wait, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            double? seconds = stopTimeout?.TotalSeconds;
            ChangeRunStateResponse accepted;
            try
            {
                accepted = verb switch
                {
                    "stop" => await remote.Projects.StopServicesAsync(Request(new StopServicesRequest { Project = name, Services = { services } }, seconds), remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false),
                    "start" => await remote.Projects.StartServicesAsync(new StartServicesRequest { Project = name, Services = { services } }, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false),
                    _ => await remote.Projects.RestartServicesAsync(Request(new RestartServicesRequest { Project = name, Services = { services } }, seconds), remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false),
                };
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition)
            {
                context.Error.WriteLine($"{name}: {e.Status.Detail}");
                return ExitCodes.Error;
            }

            context.Out.WriteLine($"{name}: generation {accepted.Generation} ({verb}) accepted");
            return wait ? await FollowAsync(remote, name, accepted.Generation, accepted.Revision, null, context, cancellationToken).ConfigureAwait(false) : ExitCodes.Ok;
        }).ConfigureAwait(false);

    public static async Task<int> StatusAsync(Remote remote, string name, bool json, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            var status = await remote.Projects.GetProjectAsync(new GetProjectRequest { Project = name }, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (json)
            {
                context.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        project = status.Name,
                        generation = status.Generation,
                        observedGeneration = status.ObservedGeneration,
                        desired = status.DesiredState == DesiredState.Deployed ? "deployed" : "undeployed",
                        runtime = status.Runtime,
                        phase = status.Phase,
                        failures = status.Failures,
                        owner = status.Owner,
                        acceptedAt = status.AcceptedAt,
                        updatedAt = status.UpdatedAt,
                        replicas = status.Replicas.Select(r => new { service = r.Service, replica = r.Replica, state = r.State, exitCode = r.HasExitCode ? r.ExitCode : (int?)null, id = r.Id, generation = r.Generation }),
                        replicasObservedAt = status.ReplicasObservedAt,
                    },
                    Json));
                return ExitCodes.Ok;
            }

            context.Out.WriteLine($"{"PROJECT",-16} {"GEN",4} {"OBSERVED",8}  {"DESIRED",-10} {"PHASE",-11} OWNER");
            context.Out.WriteLine($"{status.Name,-16} {status.Generation,4} {status.ObservedGeneration,8}  {(status.DesiredState == DesiredState.Deployed ? "deployed" : "undeployed"),-10} {status.Phase,-11} {status.Owner}");
            foreach (var failure in status.Failures)
            {
                context.Out.WriteLine("  " + failure);
            }

            return ExitCodes.Ok;
        }).ConfigureAwait(false);

    /// <summary>
    /// The plan the server makes from these files and the observed state the project's owner recorded (no runtime is
    /// called). Printed as embedded <c>plan</c> prints it.
    /// </summary>
    public static async Task<int> PlanAsync(Remote remote, ProjectOptions project, ParseResult parse, string[] services, bool? removeOrphans, bool json, bool detailed, CliContext context, CancellationToken cancellationToken)
    {
        var source = project.ToApplyRequest(parse, context);
        if (source.Files.Count == 0)
        {
            context.Error.WriteLine($"no configuration file found in {context.WorkingDirectory}; give one with -f");
            return ExitCodes.Error;
        }

        var request = new PlanProjectRequest { Source = source };
        request.Services.AddRange(services);
        if (removeOrphans is { } remove)
        {
            request.RemoveOrphans = remove;
        }

        return await CallAsync(context, async () =>
        {
            var plan = await remote.Projects.PlanProjectAsync(request, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            context.Out.WriteLine(json ? plan.Json : $"Runtime: {plan.Runtime}\n\n{plan.Text}");
            return detailed && plan.HasChanges ? ExitCodes.Changes : ExitCodes.Ok;
        }).ConfigureAwait(false);
    }

    /// <summary>Drift as the owner last observed it; printed and exited as embedded <c>drift</c> (0 in sync, 2 drift).</summary>
    public static async Task<int> DriftAsync(Remote remote, string name, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            var drift = await remote.Projects.CheckDriftAsync(new CheckDriftRequest { Project = name }, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!drift.Drifted)
            {
                context.Out.WriteLine($"{name}: no drift; the runtime matches generation {drift.Generation}");
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(drift.Plan);
            return ExitCodes.Changes;
        }).ConfigureAwait(false);

    /// <summary>The replicas' output, read by the project's owner node and prefixed as embedded <c>logs</c> prefixes it.</summary>
    public static async Task<int> LogsAsync(Remote remote, Nanokit.Core.Model.ProjectSpec spec, IReadOnlyList<string> services, LogReadOptions options, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            var (follow, tail) = (options.Follow, options.Tail);
            var request = new StreamLogsRequest { Project = spec.Name, Follow = follow, Timestamps = options.Timestamps, Since = options.Since is { } since ? LogTimes.Format(since) : "" };
            request.Services.AddRange(services);
            if (tail is { } last)
            {
                request.Tail = last;
            }

            var width = services.SelectMany(s => Enumerable.Range(1, spec.Services[s].Replicas).Select(n => $"{s}-{n}".Length)).DefaultIfEmpty(0).Max();
            try
            {
                using var call = remote.Projects.StreamLogs(request, remote.Headers, cancellationToken: cancellationToken);
                await foreach (var line in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    context.Out.WriteLine($"{line.Service}-{line.Replica}".PadRight(width) + " | " + (line.Time.Length > 0 ? line.Time + " " : "") + line.Line);
                }
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && (e is OperationCanceledException || e is RpcException { StatusCode: StatusCode.Cancelled }))
            {
                // Ctrl-C ends following, as embedded logs -f ends.
            }

            return ExitCodes.Ok;
        }).ConfigureAwait(false);

    /// <summary>
    /// <c>ps</c> from GetProject: each replica as the project's owner last observed it (nothing asks a runtime), in
    /// embedded <c>ps</c>'s columns. The owner records a replica's state, not its health checks' verdicts, so HEALTH
    /// says "unhealthy" for a replica observed unhealthy and is empty otherwise.
    /// </summary>
    public static async Task<int> PsAsync(Remote remote, string name, IReadOnlyCollection<string> services, bool all, bool json, CliContext context, CancellationToken cancellationToken) =>
        await CallAsync(context, async () =>
        {
            var project = await remote.Projects.GetProjectAsync(new GetProjectRequest { Project = name }, remote.Headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            var stopped = project.StoppedServices.ToHashSet(StringComparer.Ordinal);
            var rows = project.Replicas
                .Where(r => (all || r.State is not ("exited" or "missing")) && (services.Count == 0 || services.Contains(r.Service)))
                .OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)
                .Select(r =>
                {
                    var health = r.State == "unhealthy" ? "unhealthy" : "";
                    var state = r.State switch
                    {
                        "exited" or "missing" when stopped.Contains(r.Service) => "stopped",
                        "exited" when r.HasExitCode => $"exited ({r.ExitCode})",
                        var other => other,
                    };
                    return new PsCommand.Row($"{name}-{r.Service}-{r.Replica}", r.Service, state, health, null, health, string.Join(", ", r.Ports));
                })
                .ToList();
            PsCommand.Print(rows, json, context);
            return ExitCodes.Ok;
        }).ConfigureAwait(false);

    private static async Task<int> FollowAsync(Remote remote, string name, long generation, long revision, TimeSpan? timeout, CliContext context, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            deadline.CancelAfter(limit);
        }

        switch (await remote.FollowAsync(name, generation, revision, context, deadline.Token).ConfigureAwait(false))
        {
            case true:
                return ExitCodes.Ok;
            case false:
                return ExitCodes.Error;
            default:
                if (cancellationToken.IsCancellationRequested)
                {
                    context.Error.WriteLine("interrupted: the intent stays accepted and the cluster keeps converging it");
                    return ExitCodes.Interrupted;
                }

                context.Error.WriteLine($"timed out after {Durations.Format(timeout.GetValueOrDefault())} waiting for generation {generation} to converge; the cluster keeps converging it");
                await WhereAsync(remote, name, generation, context, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Error;
        }
    }

    /// <summary>How long a timed-out <c>up</c> waits to read where its project is before it exits without saying.</summary>
    private static readonly TimeSpan WhereTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After <c>up</c> timed out: where the project is, as the cluster stored it (GetProject), so that a stall says which
    /// step did not happen: the intent not taken up by its project (Pending: no owner reported a run of it), its run
    /// still going on its owner, or a run that ended without this watch receiving the end.
    /// </summary>
    private static async Task WhereAsync(Remote remote, string name, long generation, CliContext context, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(WhereTimeout);
        try
        {
            var project = await remote.Projects.GetProjectAsync(new GetProjectRequest { Project = name }, remote.Headers, cancellationToken: deadline.Token).ConfigureAwait(false);
            context.Error.WriteLine(Whereabouts(project, generation, remote.Followed));
        }
        catch (RpcException e)
        {
            context.Error.WriteLine($"{name}: where it is could not be read ({e.StatusCode}: {e.Status.Detail})");
        }
    }

    internal static string Whereabouts(Project project, long generation, long followed)
    {
        var owner = project.Owner is { Length: > 0 } o ? o : "none yet";
        var state = $"{project.Name}: stored generation {project.Generation} (accepted {project.AcceptedAt}), phase {project.Phase}, observed generation {project.ObservedGeneration}, "
            + $"owner {owner}, status updated {project.UpdatedAt}; events up to revision {project.Revision}, this watch received up to {followed}";
        var meaning = project switch
        {
            { Generation: var g } when g > generation => $"generation {g} replaced generation {generation}",
            { Phase: "Pending" } => $"no node has reported starting a run of generation {project.Generation}: its project has not taken the intent up (see the nodes' logs: category Nanokit.Server.Intents at Debug shows each send and answer)",
            { Phase: "Reconciling" } => $"{owner} is running generation {project.Generation}",
            { Phase: "Converged" } when project.ObservedGeneration >= generation => $"generation {generation} converged, but this watch did not receive the end of its run",
            { Phase: "Failed" } => $"the last run failed ({string.Join("; ", project.Failures)}); its owner retries it",
            _ => $"phase {project.Phase}",
        };
        return $"{state}\n{project.Name}: {meaning}";
    }

    private static StopServicesRequest Request(StopServicesRequest request, double? stopTimeoutSeconds)
    {
        if (stopTimeoutSeconds is { } seconds)
        {
            request.StopTimeoutSeconds = seconds;
        }

        return request;
    }

    private static RestartServicesRequest Request(RestartServicesRequest request, double? stopTimeoutSeconds)
    {
        if (stopTimeoutSeconds is { } seconds)
        {
            request.StopTimeoutSeconds = seconds;
        }

        return request;
    }

    private static async Task<int> CallAsync(CliContext context, Func<Task<int>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            return Remote.Report(e, context);
        }
    }
}
