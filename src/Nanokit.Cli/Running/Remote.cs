using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Nanokit.Server.Api.V1;

namespace Nanokit.Cli.Running;

/// <summary>
/// <c>nkapp --server URL [--token T]</c> (or NANOKIT_SERVER / NANOKIT_TOKEN): the project commands talk to a control
/// plane instead of running the reconciler in this process. The server validates the files and stores the intent;
/// <c>up</c> then follows the project's status until its generation converged or failed.
/// </summary>
internal sealed class Remote : IDisposable
{
    private const string ServerFlag = "--server";
    private const string TokenFlag = "--token";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly GrpcChannel channel;
    private readonly Metadata headers;

    private Remote(string url, string? token)
    {
        channel = GrpcChannel.ForAddress(url);
        headers = token is { Length: > 0 } ? new Metadata { { "authorization", "Bearer " + token } } : [];
        Projects = new Projects.ProjectsClient(channel);
    }

    public Projects.ProjectsClient Projects { get; }

    public Metadata Headers => headers;

    /// <summary>The global --server and --token options (new instances per command tree: trees are built per invocation).</summary>
    public static IEnumerable<Option> CreateOptions() =>
    [
        new Option<string?>(ServerFlag)
        {
            Description = "Control-plane URL (http:// for h2c, https:// for TLS); default $NANOKIT_SERVER. Without it, commands run embedded",
            Recursive = true,
        },
        new Option<string?>(TokenFlag) { Description = "Bearer token for --server (default $NANOKIT_TOKEN)", Recursive = true },
    ];

    /// <summary>The server to talk to, or null: run embedded.</summary>
    public static Remote? From(ParseResult parse, CliContext context)
    {
        var url = parse.GetValue<string?>(ServerFlag) ?? context.Environment.GetValueOrDefault("NANOKIT_SERVER");
        return url is { Length: > 0 }
            ? new Remote(url, parse.GetValue<string?>(TokenFlag) ?? context.Environment.GetValueOrDefault("NANOKIT_TOKEN"))
            : null;
    }

    /// <summary>
    /// Polls the project until <paramref name="generation"/> converged (true) or its run failed (false, failures
    /// printed); null when cancelled first. Prints each phase change.
    /// </summary>
    public async Task<bool?> FollowAsync(string project, long generation, CliContext context, CancellationToken cancellationToken)
    {
        var last = "";
        try
        {
            while (true)
            {
                var status = await Projects.GetProjectAsync(new GetProjectRequest { Project = project }, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
                var current = status.ObservedGeneration >= generation ? "Converged" : status.Phase;
                if (current != last)
                {
                    last = current;
                    context.Out.WriteLine($"{project}: generation {generation} {current.ToLowerInvariant()}{(status.Owner.Length > 0 ? $" (on {status.Owner})" : "")}");
                }

                if (status.ObservedGeneration >= generation)
                {
                    return true;
                }

                if (current == "Failed")
                {
                    foreach (var failure in status.Failures)
                    {
                        context.Error.WriteLine(failure);
                    }

                    return false;
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>A refusal as one line per detail on stderr (INVALID_ARGUMENT lists every located error, as embedded mode does).</summary>
    public static int Report(RpcException e, CliContext context)
    {
        if (e.StatusCode == StatusCode.InvalidArgument)
        {
            var lines = e.Status.Detail.Split('\n');
            foreach (var line in lines)
            {
                context.Error.WriteLine(line);
            }

            context.Error.WriteLine(lines.Length == 1 ? "1 error" : $"{lines.Length} errors");
        }
        else
        {
            context.Error.WriteLine($"server: {e.StatusCode}: {e.Status.Detail}");
        }

        return ExitCodes.Error;
    }

    public void Dispose() => channel.Dispose();
}
