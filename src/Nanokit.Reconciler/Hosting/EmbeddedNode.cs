using Nanokit.Actors;
using Nanokit.Actors.Supervision;
using Nanokit.Persistence;
using Nanokit.Persistence.Sqlite;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The reconciler embedded in one CLI process: an actor system whose journal is SQLite under the project's
/// <c>.nanokit/</c>, holding the project lock for its lifetime. The same actors run in a server node; only
/// the journal and the way messages arrive differ.
/// </summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly ProjectLock projectLock;
    private readonly SqliteJournal journal;

    private EmbeddedNode(ActorSystem system, ProjectLock projectLock, SqliteJournal journal, IActorRef project)
    {
        System = system;
        this.projectLock = projectLock;
        this.journal = journal;
        Project = project;
    }

    public ActorSystem System { get; }

    /// <summary>The project actor: send it <see cref="ApplySpec"/>, <see cref="DestroyProject"/>, <see cref="CheckDrift"/>, <see cref="GetProjectStatus"/>.</summary>
    public IActorRef Project { get; }

    public static string StateDirectory(string projectDirectory) => Path.Combine(projectDirectory, ".nanokit");

    public static string JournalPath(string projectDirectory) => Path.Combine(StateDirectory(projectDirectory), "state.db");

    /// <summary>Takes the project lock (or throws <see cref="ProjectLockedException"/>), opens the journal and starts the project actor, which recovers and resumes any unfinished generation.</summary>
    public static async Task<EmbeddedNode> StartAsync(
        string projectName, string projectDirectory, IRuntimeProvider provider, ReconcilerSettings settings, string command, CancellationToken cancellationToken)
    {
        var held = ProjectLock.Acquire(StateDirectory(projectDirectory), command);
        try
        {
            var registry = ReconcilerEvents.CreateRegistry();
            var options = new SqliteStoreOptions(JournalPath(projectDirectory));
            var journal = await SqliteJournal.OpenAsync(options, registry, cancellationToken).ConfigureAwait(false);
            var snapshots = await SqliteSnapshotStore.OpenAsync(options, registry, cancellationToken).ConfigureAwait(false);
            var system = ActorSystem.Create("nanokit");
            Persistence.Persistence.Register(system, new PersistenceSettings(journal, snapshots));
            // A journal failure stops a persistent actor (it cannot know what was written); the backoff
            // supervisor recreates it, and recovery resumes the unfinished generation.
            var backoff = BackoffOptions.OnStop(
                ProjectActor.Props(projectName, projectDirectory, provider, settings), "project", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), 0.2);
            var project = system.ActorOf(BackoffSupervisor.Props(backoff), "project-" + projectName);
            return new EmbeddedNode(system, held, journal, project);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        await journal.DisposeAsync().ConfigureAwait(false);
        projectLock.Dispose();
    }
}
