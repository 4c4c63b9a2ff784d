using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Nanokit.Server.Api.V1;

namespace Nanokit.Cli.Running;

/// <summary>
/// <c>nkapp --server URL [--token T]</c> (or NANOKIT_SERVER / NANOKIT_TOKEN): the project commands talk to a control
/// plane instead of running the reconciler in this process. The server validates the files and stores the intent;
/// <c>up</c> then follows the project's events until its generation converged or failed.
/// </summary>
internal sealed class Remote : IDisposable
{
    private const string ServerFlag = "--server";
    private const string TokenFlag = "--token";

    private const int ResumeAttempts = 5;

    private static readonly TimeSpan ResumeDelay = TimeSpan.FromSeconds(1);

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

    /// <summary>The newest event revision <see cref="FollowAsync"/> received (what a timed-out <c>up</c> reports it saw).</summary>
    public long Followed { get; private set; }

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
    public static Remote? From(ParseResult parse, CliContext context) =>
        ServerUrl(parse, context) is { } url
            ? new Remote(url, parse.GetValue<string?>(TokenFlag) ?? context.Environment.GetValueOrDefault("NANOKIT_TOKEN"))
            : null;

    /// <summary>
    /// For a command that runs only embedded: with --server (or NANOKIT_SERVER) it would act on this machine's runtime
    /// while the user asked about the cluster's, so it says so, does nothing and the command exits 1.
    /// </summary>
    public static bool Refused(ParseResult parse, CliContext context, string verb, string instead)
    {
        if (ServerUrl(parse, context) is null)
        {
            return false;
        }

        context.Error.WriteLine($"nkapp {verb}: not yet available with --server; nothing was done ({instead})");
        return true;
    }

    private static string? ServerUrl(ParseResult parse, CliContext context) =>
        (parse.GetValue<string?>(ServerFlag) ?? context.Environment.GetValueOrDefault("NANOKIT_SERVER")) is { Length: > 0 } url ? url : null;

    /// <summary>
    /// Follows the project's events (WatchProject) after <paramref name="afterRevision"/> until a run of
    /// <paramref name="generation"/> or a newer one converged (true) or failed (false), printing each step as embedded
    /// <c>up</c> prints it; null when cancelled first. A stream broken by its node (UNAVAILABLE) is resumed from the
    /// last revision received, a few times. <see cref="Followed"/> is the last revision it received.
    /// </summary>
    public async Task<bool?> FollowAsync(string project, long generation, long afterRevision, CliContext context, CancellationToken cancellationToken)
    {
        Followed = afterRevision;
        var printer = new RemoteProgress(context.Out);
        var after = afterRevision;
        var retries = 0;
        try
        {
            while (true)
            {
                try
                {
                    using var call = Projects.WatchProject(new WatchProjectRequest { Project = project, AfterRevision = after }, headers, cancellationToken: cancellationToken);
                    await foreach (var e in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        after = Followed = e.Revision;
                        retries = 0;
                        if (e.Generation >= generation && printer.Print(e) is { } outcome)
                        {
                            return outcome;
                        }
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && retries < ResumeAttempts && !cancellationToken.IsCancellationRequested)
                {
                    retries++;
                    context.Error.WriteLine($"{project}: watch interrupted ({e.Status.Detail}); resuming after revision {after}");
                }

                await Task.Delay(ResumeDelay, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded && cancellationToken.IsCancellationRequested)
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

/// <summary>
/// A project's events as embedded <c>nkapp up</c> prints a run (ProgressPrinter's lines: plan, one line per step with
/// the run's elapsed time, summary), so scripts read the same output in both modes.
/// </summary>
internal sealed class RemoteProgress(TextWriter output)
{
    private int nameWidth = 8;

    /// <summary>Prints the event; a run's end answers whether it succeeded, any other event null.</summary>
    public bool? Print(ProjectEvent e)
    {
        switch (e.EventCase)
        {
            case ProjectEvent.EventOneofCase.RunStarted:
                var started = e.RunStarted;
                nameWidth = Math.Max(8, started.Layers.SelectMany(l => l.Actions).Select(a => a.Service.Length).DefaultIfEmpty(0).Max());
                output.WriteLine($"{e.Project}: generation {e.Generation} ({started.Trigger}): {Summary(started.Add, started.Change, started.Destroy)}");
                foreach (var layer in started.Layers)
                {
                    var work = layer.Actions.Where(a => a.Action != "NO_OP").ToList();
                    if (work.Count > 0)
                    {
                        output.WriteLine($"  layer {layer.Index}: {string.Join(", ", work.Select(a => $"{a.Action.ToLowerInvariant()} {a.Service}[{a.Replica}]"))}");
                    }
                }

                return null;
            case ProjectEvent.EventOneofCase.ServiceProgress:
                var progress = e.ServiceProgress;
                output.WriteLine($"[{progress.ElapsedSeconds,6:0.0}s] {progress.Service.PadRight(nameWidth)} {progress.Phase,-9} {progress.Message}");
                return null;
            case ProjectEvent.EventOneofCase.RunCompleted:
                var completed = e.RunCompleted;
                if (completed.Succeeded)
                {
                    output.WriteLine($"{e.Project}: generation {e.Generation} converged in {completed.DurationSeconds:0.0}s");
                    return true;
                }

                output.WriteLine($"{e.Project}: generation {e.Generation} failed after {completed.DurationSeconds:0.0}s:");
                foreach (var failure in completed.Failures)
                {
                    output.WriteLine($"  {failure.Service}: {failure.Reason}");
                }

                return false;
            case ProjectEvent.EventOneofCase.DriftFound:
                var drift = e.DriftFound;
                output.WriteLine($"{e.Project}: drift found, not healing (drift.heal is false): {Summary(drift.Add, drift.Change, drift.Destroy)}");
                output.WriteLine(drift.Plan);
                return null;
            default:
                return null;
        }
    }

    private static string Summary(int add, int change, int destroy) =>
        add + change + destroy > 0 ? $"{add} to add, {change} to change, {destroy} to destroy" : "no changes";
}
