using System.Collections.Immutable;
using System.Text.Json;
using Nanokit.Core.Config;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Cli;

/// <summary>
/// <c>.nanokit/last-run.json</c>: how the project's last run ended, rewritten by every nkapp command that drives the
/// reconciler when the reconciler publishes <see cref="RunCompleted"/> (the journal stays the source of truth). It lets
/// <c>status</c>, which takes no lock, say whether the last run failed and why, whether or not any replica is left to
/// look at. Reasons are the reconciler's, which never hold a secret value (failed one-offs' output is masked).
/// </summary>
internal sealed record LastRun(
    string Project,
    string Command,
    long Generation,
    string Trigger,
    bool Succeeded,
    DateTimeOffset FinishedAt,
    double Seconds,
    ImmutableArray<LastRunFailure> Failures)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string PathIn(string projectDirectory) => Path.Combine(EmbeddedNode.StateDirectory(projectDirectory), "last-run.json");

    /// <summary>The record of <paramref name="completed"/>, run by <paramref name="command"/> (up, down, restart...).</summary>
    public static LastRun From(RunCompleted completed, string command, DateTimeOffset finishedAt) => new(
        completed.Project,
        command,
        completed.Generation,
        completed.Trigger.ToString().ToLowerInvariant(),
        completed.Result.Succeeded,
        finishedAt,
        Math.Round(completed.Result.Duration.TotalSeconds, 3),
        [.. completed.Result.Failures.Select(f => new LastRunFailure(f.Service, f.Reason))]);

    /// <summary>
    /// The last run of <paramref name="project"/> recorded in <paramref name="projectDirectory"/>, or null when none was
    /// (or the file cannot be read: it is only a cache; <paramref name="warn"/> says so).
    /// </summary>
    public static LastRun? Read(string projectDirectory, string project, Action<string>? warn = null)
    {
        var run = StateFiles.Read<LastRun>(PathIn(projectDirectory), Json, warn, "the next run");
        return run?.Project == project ? run : null;
    }

    /// <summary>Writes it (see <see cref="StateFiles.Write"/>).</summary>
    public void Write(string projectDirectory) => StateFiles.Write(PathIn(projectDirectory), this, Json);

    /// <summary>
    /// <c>last run: up, generation 2 failed 12s ago (after 3.1s)</c>, then one indented line per failure; a generation
    /// accepted after this run and not finished yet (<paramref name="appliedGeneration"/>) is said too.
    /// </summary>
    public IEnumerable<string> Render(DateTimeOffset now, long? appliedGeneration)
    {
        var age = TimeSpan.FromSeconds(Math.Max(0, Math.Floor((now - FinishedAt).TotalSeconds)));
        var verdict = Succeeded ? "converged" : "failed";
        var trigger = Trigger == "spec" ? "" : $" ({Trigger})";
        yield return $"last run: {Command}{trigger}, generation {Generation} {verdict} {Durations.Format(age)} ago (took {Seconds:0.0}s)";
        foreach (var failure in Failures)
        {
            yield return $"  {failure.Service}: {failure.Reason}";
        }

        if (appliedGeneration > Generation)
        {
            yield return $"generation {appliedGeneration} was accepted after it and has not finished a run (nkapp was stopped?): `nkapp up` resumes it";
        }
    }

    /// <summary>
    /// <c>up --wait</c> found replicas unhealthy (or none healthy in time) after the run converged: the command failed, so the
    /// record says so, each failure under its replica's name, keeping the run's generation and time.
    /// </summary>
    public static void RememberWaitFailed(string projectDirectory, string project, IEnumerable<LastRunFailure> failures)
    {
        if (Read(projectDirectory, project) is not { } run)
        {
            return;
        }

        try
        {
            (run with { Succeeded = false, Failures = [.. run.Failures, .. failures] }).Write(projectDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Keeps the record current; a cache that cannot be written only leaves <c>status</c> less informed.</summary>
    public static void Remember(string projectDirectory, RunCompleted completed, string command)
    {
        try
        {
            From(completed, command, DateTimeOffset.UtcNow).Write(projectDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>One service the last run failed, and why, in the words <c>up</c> printed.</summary>
internal sealed record LastRunFailure(string Service, string Reason);
