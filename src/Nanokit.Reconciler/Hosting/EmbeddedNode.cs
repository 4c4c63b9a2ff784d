using Akka.Actor;
using Akka.Pattern;
using Microsoft.Data.Sqlite;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The reconciler embedded in one CLI process: an Akka actor system whose journal is SQLite under the project's
/// <c>.nanokit/</c> (or the store given), holding the project lock for its lifetime. The same entity actors run
/// in a server node; only the store and the way messages arrive differ.
/// </summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly ProjectLock projectLock;

    private EmbeddedNode(ActorSystem system, ProjectLock projectLock, IActorRef project, StateStore store)
    {
        System = system;
        this.projectLock = projectLock;
        Project = project;
        Store = store;
    }

    public ActorSystem System { get; }

    /// <summary>The project actor: send it <see cref="ApplySpec"/>, <see cref="DestroyProject"/>, <see cref="CheckDrift"/>, <see cref="GetProjectStatus"/>.</summary>
    public IActorRef Project { get; }

    public StateStore Store { get; }

    public static string StateDirectory(string projectDirectory) => Path.Combine(projectDirectory, ".nanokit");

    public static string JournalPath(string projectDirectory) => Path.Combine(StateDirectory(projectDirectory), "state.db");

    /// <summary>
    /// Takes the project lock (or throws <see cref="ProjectLockedException"/>), checks the store (or throws
    /// <see cref="StateStoreException"/>) and starts the project actor, which recovers and resumes any unfinished
    /// generation. <paramref name="store"/> defaults to the project's SQLite file.
    /// </summary>
    public static Task<EmbeddedNode> StartAsync(
        string projectName, string projectDirectory, IRuntimeProvider provider, ReconcilerSettings settings, string command, StateStore? store, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var held = ProjectLock.Acquire(StateDirectory(projectDirectory), command);
        try
        {
            store ??= new StateStore.Sqlite(JournalPath(projectDirectory));
            if (store is StateStore.Sqlite sqlite)
            {
                StateFile.Prepare(sqlite.Path);
            }

            var config = NodeConfig.For(store);
            var system = ActorSystem.Create("nanokit", config);
            var restart = config.GetConfig("nanokit.node.project-restart");
            // Only a thrown exception restarts the project (with backoff); a storage failure stops it for good.
            var backoff = BackoffSupervisor.Props(Backoff.OnFailure(
                ProjectActor.Props(projectName, projectDirectory, provider, settings),
                "project",
                restart.GetTimeSpan("min"),
                restart.GetTimeSpan("max"),
                restart.GetDouble("random-factor"),
                -1));
            var project = system.ActorOf(backoff, "project-" + projectName);
            return Task.FromResult(new EmbeddedNode(system, held, project, store));
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
        if (Store is StateStore.Sqlite)
        {
            // Pooled connections would keep the file open past the lock.
            SqliteConnection.ClearAllPools();
        }

        projectLock.Dispose();
    }
}
