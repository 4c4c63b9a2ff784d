using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp drift</c>: re-observe and show what differs from the last applied generation; exit 0 in sync, 2 when
/// drift is found, 0 when <c>--heal</c> repaired what drifted (the runtime matches when it exits), 1 on error. Without
/// <c>--heal</c> it takes no lock once a generation was applied (from <see cref="AppliedIntent"/>).
/// </summary>
internal static class DriftCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var heal = new Option<bool>("--heal") { Description = "Repair what drifted, then exit" };
        var command = new Command("drift", "Compare the runtime with the last applied generation") { heal };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            using var remote = Remote.From(parse, context);
            if (remote is not null)
            {
                if (parse.GetValue(heal))
                {
                    context.Error.WriteLine("--heal is not available with --server: the cluster heals drift itself when the file sets drift.heal");
                    return ExitCodes.Error;
                }

                return await RemoteCommands.DriftAsync(remote, loaded.Spec.Name, context, cancellationToken).ConfigureAwait(false);
            }

            if (!parse.GetValue(heal) && AppliedIntent.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name, context.Error.WriteLine) is { } applied)
            {
                return await ReportWithoutLockAsync(loaded.Spec, applied, context, cancellationToken).ConfigureAwait(false);
            }

            var settings = ReconcilerSettings.Default with { ResumeOnRecovery = parse.GetValue(heal) };
            await using var session = await SessionOrError.StartAsync(loaded.Spec, settings, "drift", context, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return ExitCodes.Error;
            }

            var status = await session.AskAsync<CurrentProjectStatus>(GetProjectStatus.Instance, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            if (status.Status.Generation == 0)
            {
                context.Error.WriteLine($"{loaded.Spec.Name}: nothing applied yet; run `nkapp up` first");
                return ExitCodes.Error;
            }

            var report = await session.AskAsync<DriftReport>(new CheckDrift(parse.GetValue(heal)), TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
            if (report.Failure is { } failure)
            {
                context.Error.WriteLine($"{report.Project}: cannot check for drift: {failure}");
                return ExitCodes.Error;
            }

            if (!report.Plan.HasChanges)
            {
                context.Out.WriteLine($"{report.Project}: no drift; the runtime matches generation {status.Status.Generation}");
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(report.Plan.ToString());
            if (report.Healing)
            {
                var healed = await session.AwaitRunAsync(status.Status.Generation, RunTrigger.Drift, cancellationToken).ConfigureAwait(false);
                return healed?.Result.Succeeded == true ? ExitCodes.Ok : ExitCodes.Error;
            }

            return ExitCodes.Changes;
        });
        return command;
    }

    /// <summary>
    /// Only looking needs no lock: the applied intent comes from its read model and the runtime is observed directly,
    /// so this works while <c>up --watch</c> holds the project. Planned as the reconciler's own check plans it.
    /// </summary>
    private static async Task<int> ReportWithoutLockAsync(ProjectSpec file, AppliedIntent applied, CliContext context, CancellationToken cancellationToken)
    {
        var desired = applied.Spec ?? new ProjectSpec(file.Name, file.Runtime, DriftSettings.Default, ImmutableSortedDictionary<string, ServiceSpec>.Empty, file.WorkingDirectory);
        if (RuntimeProviders.ForOrReport(desired, context) is not { } provider)
        {
            return ExitCodes.Error;
        }

        await using var owned = RuntimeProviders.Own(provider);
        ObservedState observed;
        try
        {
            observed = await provider.ObserveAsync(ProjectRef.Of(file), cancellationToken).ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            context.Error.WriteLine($"{file.Name}: cannot check for drift: {e.Message}");
            return ExitCodes.Error;
        }

        var plan = PlanEngine.Plan(desired, observed, applied.PlanOptions);
        if (!plan.HasChanges)
        {
            context.Out.WriteLine($"{file.Name}: no drift; the runtime matches generation {applied.Generation}");
            return ExitCodes.Ok;
        }

        context.Out.WriteLine(plan.ToString());
        return ExitCodes.Changes;
    }
}
