using System.CommandLine;
using Akka.Actor;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;
using Nanokit.Cli.Commands;
using Nanokit.Cli.Running;

namespace Nanokit.Cli;

/// <summary>The <c>nkapp</c> command tree.</summary>
public static class Nkapp
{
    public static Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var (root, parse) = Parse(args, context);

        // --store stands for NANOKIT_STORE in every command (the embedded state store, and the server's store): the
        // commands read the store from their context's environment, so the flag is put there and the line parsed again.
        if (parse.GetValue<string?>(StoreFlag) is { Length: > 0 } store)
        {
            context = context with { Environment = new Dictionary<string, string>(context.Environment) { [StateStore.Variable] = store } };
            (root, parse) = Parse(args, context);
        }

        // Signals are the caller's to turn into cancellation (Program.Main does); the library's own handling exits too soon.
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        return ParseErrors.Any(parse) ? Task.FromResult(ParseErrors.Report(parse, context)) : InvokeAsync(parse, invocation, context, cancellationToken);
    }

    private const string StoreFlag = "--store";

    private static (RootCommand Root, ParseResult Parse) Parse(string[] args, CliContext context)
    {
        var root = new RootCommand("Nanokit: makes running services match nanokit.yml.")
        {
            ValidateCommand.Create(context),
            ConfigCommand.Create(context),
            PlanCommand.Create(context),
            UpCommand.Create(context),
            DownCommand.Create(context),
            RunStateCommands.Stop(context),
            RunStateCommands.Start(context),
            RunStateCommands.Restart(context),
            ForegroundCommands.Exec(context),
            ForegroundCommands.Run(context),
            StatusCommand.Create(context),
            DriftCommand.Create(context),
            LogsCommand.Create(context),
            StateCommand.Create(context),
            ServerCommand.Create(context),
            PsCommand.Create(context),
            PullCommand.Create(context),
            TopCommand.Create(context),
            VersionCommand.Create(context),
            CompletionCommand.Create(context),
        };
        foreach (var option in Remote.CreateOptions())
        {
            root.Options.Add(option);
        }

        root.Options.Add(new Option<string?>(StoreFlag)
        {
            Description = $"PostgreSQL connection string of the state store (default ${StateStore.Variable}; without either, .nanokit/state.db)",
            Recursive = true,
        });
        return (root, root.Parse(ForegroundCommands.SeparateCommand(root, args)));
    }

    /// <summary>
    /// Every command ends with one line on stderr and a documented exit code. Failures the user can act on (a
    /// runtime that cannot be reached, a reconciler that does not answer, a state file that cannot be read or
    /// written) exit 1; anything else is a fault in nkapp, exits 70 and shows its stack trace only when asked.
    /// </summary>
    private static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration invocation, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeException or UnsafeStateDirectoryException or StateStoreException)
        {
            context.Error.WriteLine(e.Message);
            return ExitCodes.Error;
        }
        catch (AskTimeoutException e)
        {
            context.Error.WriteLine($"the reconciler did not answer in time ({e.Message})");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine("interrupted; services already started keep running");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system refused (a full disk, a read-only or unreadable .nanokit): .NET's message names the path.
            context.Error.WriteLine($"storage: {e.Message}");
            return ExitCodes.Error;
        }
        catch (Exception e)
        {
            context.Error.WriteLine(context.Environment.ContainsKey("NANOKIT_DEBUG")
                ? $"nkapp: internal error: {e}"
                : $"nkapp: internal error: {e.GetType().Name}: {e.Message} (NANOKIT_DEBUG=1 shows where)");
            return ExitCodes.Internal;
        }
    }
}
