using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp plan</c>: what <c>up</c> would do, against what the project's runtime holds now — or against an
/// observed-state file (<see cref="ObservedStateFile"/>) for a runtime this machine cannot reach. Read-only.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
        var observed = new Option<string?>("--observed") { Description = "Observed-state JSON file to plan against (default: observe the runtime)" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var detailed = new Option<bool>("--detailed-exitcode") { Description = "Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform)" };
        var removeOrphans = new Option<bool?>("--remove-orphans") { Description = "Delete replicas of services no longer configured (default: yes for the whole project, no for named services)" };
        var services = new Argument<string[]>("SERVICE") { Description = "Plan only these services and their dependencies", Arity = ArgumentArity.ZeroOrMore };
        var noDeps = new Option<bool>("--no-deps") { Description = "With SERVICE names: those services alone, not their dependencies" };
        var output = new Option<string?>("--out", "-out") { Description = "Also save the plan to this file; `nkapp up FILE` applies exactly it, or refuses if the file or the runtime moved since" };
        var command = new Command("plan", "Show what up would create, recreate and destroy") { observed, format, detailed, removeOrphans, services, output, noDeps };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            using var remote = parse.GetValue(observed) is null ? Remote.From(parse, context) : null;
            if (remote is not null)
            {
                return await RemoteCommands.PlanAsync(remote, project, parse, parse.GetValue(services) ?? [], parse.GetValue(removeOrphans), parse.GetValue(format) == "json", parse.GetValue(detailed), context, cancellationToken).ConfigureAwait(false);
            }

            ObservedState state;
            try
            {
                state = parse.GetValue(observed) is { } observedPath
                    ? ObservedStateFile.Read(Path.GetFullPath(observedPath, context.WorkingDirectory))
                    : await ObserveAsync(loaded.Spec, context, cancellationToken).ConfigureAwait(false);
            }
            catch (ConfigException e)
            {
                ProjectOptions.WriteErrors(context, e.Errors);
                return ExitCodes.Error;
            }
            catch (Exception e) when (e is RuntimeUnavailableException or RuntimeException)
            {
                context.Error.WriteLine(e.Message);
                return ExitCodes.Error;
            }

            var options = new PlanOptions
            {
                Services = (parse.GetValue(services) ?? []).ToImmutableArray(),
                RemoveOrphans = parse.GetValue(removeOrphans),
                NoDeps = parse.GetValue(noDeps),
                RestartCounts = AppliedIntent.RestartCountsOf(AppliedIntent.Read(loaded.Spec.WorkingDirectory, loaded.Spec.Name, context.Error.WriteLine)),
            };
            ServicePlan plan;
            try
            {
                plan = PlanEngine.Plan(loaded.Spec, loaded.Graph, state, options);
            }
            catch (UnknownServiceException e)
            {
                context.Error.WriteLine(e.Message);
                return ExitCodes.Error;
            }

            context.Out.WriteLine(parse.GetValue(format) == "json"
                ? PlanJsonRenderer.Render(plan, indented: true)
                : $"Runtime: {plan.Runtime}\n\n{plan}");
            if (parse.GetValue(output) is { } outPath)
            {
                var path = Path.GetFullPath(outPath, context.WorkingDirectory);
                PlanFile.Make(project.LoadOptions(parse, context), loaded.Spec, options, state, plan).Write(path);
                if (parse.GetValue(format) != "json")
                {
                    context.Out.WriteLine($"\nSaved the plan to {outPath}. To apply exactly this plan: nkapp up {(outPath.EndsWith(".plan", StringComparison.Ordinal) ? "" : "--plan ")}{outPath}");
                }
            }

            return parse.GetValue(detailed) && plan.HasChanges ? ExitCodes.Changes : ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<ObservedState> ObserveAsync(ProjectSpec spec, CliContext context, CancellationToken cancellationToken)
    {
        var provider = RuntimeProviders.For(spec, context);
        await using var owned = RuntimeProviders.Own(provider);
        return await provider.ObserveAsync(ProjectRef.Of(spec), cancellationToken).ConfigureAwait(false);
    }
}
