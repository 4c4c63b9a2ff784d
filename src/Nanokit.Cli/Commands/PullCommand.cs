using System.CommandLine;
using Nanokit.Cli.Running;
using Nanokit.Core.Model;
using Nanokit.Providers.Docker;
using Nanokit.Runtime;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp pull [SERVICE...] [--ignore-pull-failures]</c>: fetches each service's image now, all at once, with a line per
/// step of each pull, as <c>docker compose pull</c> does; a service that builds its image is skipped, as Compose skips it.
/// The local runtime runs commands, not images: there is nothing to pull, and it says so. No lock: it changes no replica.
/// </summary>
internal static class PullCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions(rememberedEnvironment: true);
        var services = new Argument<string[]>("SERVICE") { Description = "The services whose images to pull (default: every service)", Arity = ArgumentArity.ZeroOrMore };
        var ignoreFailures = new Option<bool>("--ignore-pull-failures") { Description = "Pull what can be pulled and exit 0 even if some image cannot be" };
        var command = new Command("pull", "Pull the services' images") { services, ignoreFailures };
        project.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Remote.Refused(parse, context, "pull", "the server's runtime pulls images as up needs them"))
            {
                return ExitCodes.Error;
            }

            if (project.LoadWithServices(parse, context, services) is not { Project: var loaded, Services: var named })
            {
                return ExitCodes.Error;
            }

            if (RuntimeProviders.ForOrReport(loaded.Spec, context) is not { } provider)
            {
                return ExitCodes.Error;
            }

            await using var owned = RuntimeProviders.Own(provider);
            if (provider is not DockerRuntime docker)
            {
                context.Out.WriteLine($"{loaded.Spec.Name}: nothing to pull (runtime {provider.Name} runs commands, not images)");
                return ExitCodes.Ok;
            }

            var width = named.Max(n => n.Length);
            var gate = new object();
            void Say(string service, string text)
            {
                lock (gate)
                {
                    context.Out.WriteLine($"{service.PadRight(width)}  {text}");
                }
            }

            var projectRef = ProjectRef.Of(loaded.Spec);
            var results = await Task.WhenAll(named.Select(async name =>
            {
                var spec = loaded.Spec.Services[name];
                if (spec.Build is not null)
                {
                    Say(name, "skipped: builds its image");
                    return true;
                }

                try
                {
                    await docker.PullImageAsync(projectRef, spec, new Progress(text => Say(name, text)), cancellationToken).ConfigureAwait(false);
                    return true;
                }
                catch (RuntimeException e)
                {
                    Say(name, $"failed: {e.Message}");
                    return false;
                }
            })).ConfigureAwait(false);

            var failed = results.Count(ok => !ok);
            if (failed > 0 && !parse.GetValue(ignoreFailures))
            {
                context.Error.WriteLine($"{loaded.Spec.Name}: {failed} of {named.Length} {(named.Length == 1 ? "image" : "images")} could not be pulled (--ignore-pull-failures goes on regardless)");
                return ExitCodes.Error;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // Synchronous, unlike Progress<T>, which posts to the thread pool: lines must not be printed after the command returns.
    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
