using Nanokit.Core.Plan;
using Nanokit.Reconciler;
using Spectre.Console;

namespace Nanokit.Cli.Running;

/// <summary>
/// The terminal view of one run: a table with a row per service (layer, phase, elapsed, latest message)
/// redrawn as events arrive. Used only when stdout is a terminal; pipes and logs get <see cref="ProgressPrinter"/>.
/// Elapsed times count from the start of the command.
/// </summary>
internal sealed class LiveProgress(Func<TimeSpan> sinceStart)
{
    private readonly Table table = new Table().Border(TableBorder.Rounded)
        .AddColumn("layer").AddColumn("service").AddColumn("phase").AddColumn(new TableColumn("elapsed").RightAligned()).AddColumn("detail");

    private readonly Dictionary<string, int> rows = new(StringComparer.Ordinal);

    public static bool Available(CliContext context) =>
        ReferenceEquals(context.Out, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Draws events from <paramref name="next"/> until it returns a completion, which it then returns.</summary>
    public async Task<RunCompleted?> RunAsync(Func<Task<object?>> next)
    {
        RunCompleted? completed = null;
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async live =>
        {
            while (await next().ConfigureAwait(false) is { } message)
            {
                Apply(message);
                live.Refresh();
                if (message is RunCompleted done)
                {
                    completed = done;
                    return;
                }
            }
        }).ConfigureAwait(false);
        return completed;
    }

    private void Apply(object message)
    {
        switch (message)
        {
            case RunStarted started:
                table.Title = new TableTitle(Markup.Escape($"{started.Project}: generation {started.Generation} — {started.Plan.Summary.Add} to add, {started.Plan.Summary.Change} to change, {started.Plan.Summary.Destroy} to destroy"));
                foreach (var layer in started.Plan.Layers)
                {
                    foreach (var service in layer.Actions.Where(a => a.Action != ActionType.NoOp).Select(a => a.Service).Distinct())
                    {
                        if (!rows.ContainsKey(service))
                        {
                            rows[service] = table.Rows.Count;
                            table.AddRow(layer.Index.ToString(), Markup.Escape(service), "queued", "", "");
                        }
                    }
                }

                break;
            case ServiceProgress progress:
                if (!rows.TryGetValue(progress.Service, out var row))
                {
                    row = rows[progress.Service] = table.Rows.Count;
                    table.AddRow("", Markup.Escape(progress.Service), "", "", "");
                }

                table.UpdateCell(row, 2, new Markup(Color(progress.Phase)));
                table.UpdateCell(row, 3, $"{sinceStart().TotalSeconds:0.0}s");
                table.UpdateCell(row, 4, Markup.Escape(progress.Message));
                break;
        }
    }

    private static string Color(ServicePhase phase) => phase switch
    {
        ServicePhase.Succeeded => "[green]succeeded[/]",
        ServicePhase.Failed => "[red]failed[/]",
        ServicePhase.Blocked => "[red]blocked[/]",
        ServicePhase.Retrying => "[yellow]retrying[/]",
        ServicePhase.Stopping => "[yellow]stopping[/]",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
