using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Providers.Docker;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp top [SERVICE...]</c>: the processes of each running replica, under its name, as <c>docker compose top</c> prints
/// them: Docker's own top call, or on the local runtime the members of the replica's process group read from /proc
/// (PID, CMD). Read-only, no lock.
/// </summary>
internal static class TopCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var services = new Argument<string[]>("SERVICE") { Description = "Only these services", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("top", "Show the processes of each running replica") { services };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Remote.Refused(parse, context, "top", "run it without --server on the runtime's host"))
            {
                return ExitCodes.Error;
            }

            if (project.LoadWithServices(parse, context, services) is not { Project: var loaded } selected)
            {
                return ExitCodes.Error;
            }

            if (RuntimeProviders.ForOrReport(loaded.Spec, context) is not { } provider)
            {
                return ExitCodes.Error;
            }

            await using var owned = RuntimeProviders.Own(provider);
            if (provider is not (DockerRuntime or LocalRuntime))
            {
                context.Error.WriteLine($"nkapp top: not supported on the {provider.Name} runtime (only on runtime: docker and local)");
                return ExitCodes.Error;
            }

            var projectRef = ProjectRef.Of(loaded.Spec);
            var observed = await provider.ObserveAsync(projectRef, cancellationToken).ConfigureAwait(false);
            foreach (var replica in observed.Replicas
                .Where(r => r.State is ReplicaState.Running or ReplicaState.Unhealthy && (selected.All || selected.Services.Contains(r.Service)))
                .OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica))
            {
                if (await TopAsync(provider, new ReplicaId(projectRef, replica.Service, replica.Replica), cancellationToken).ConfigureAwait(false) is not { } top)
                {
                    continue;
                }

                context.Out.WriteLine($"{loaded.Spec.Name}-{replica.Service}-{replica.Replica}");
                var rows = top.Processes.Select(p => p.ToList()).Prepend([.. top.Titles]).ToList();
                var columns = rows.Max(r => r.Count);
                var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Count ? r[c].Length : 0)).ToList();
                foreach (var row in rows)
                {
                    context.Out.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Count - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
                }

                context.Out.WriteLine();
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<(IList<string> Titles, IList<IList<string>> Processes)?> TopAsync(IRuntimeProvider provider, ReplicaId replica, CancellationToken cancellationToken)
    {
        if (provider is DockerRuntime docker)
        {
            return await docker.TopAsync(replica, cancellationToken).ConfigureAwait(false);
        }

        return ((LocalRuntime)provider).Top(replica) is { } processes
            ? (["PID", "CMD"], [.. processes.Select(p => (IList<string>)[p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Command])])
            : null;
    }
}
