using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting.Logging;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The reconciler embedded in one CLI process: an Akka actor system whose journal is SQLite under the project's
/// <c>.nanokit/</c> (or the store given, e.g. PostgreSQL named by NANOKIT_STORE), holding the project lock — and, on a
/// PostgreSQL store, the project's advisory lock there — for its lifetime. The same entity actors run
/// in a server node; only the store and the way messages arrive differ.
/// </summary>
public sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly ProjectLock projectLock;
    private readonly PostgreSqlProjectLock? storeLock;

    private EmbeddedNode(ActorSystem system, ProjectLock projectLock, PostgreSqlProjectLock? storeLock, IActorRef projects, string projectName, StateStore store)
    {
        System = system;
        this.projectLock = projectLock;
        this.storeLock = storeLock;
        Projects = projects;
        ProjectName = projectName;
        Store = store;
    }

    public ActorSystem System { get; }

    /// <summary>Where <see cref="ProjectEnvelope"/>s go: the project entities of this node.</summary>
    public IActorRef Projects { get; }

    public string ProjectName { get; }

    public StateStore Store { get; }

    public static string StateDirectory(string projectDirectory) => Path.Combine(projectDirectory, ".nanokit");

    public static string JournalPath(string projectDirectory) => Path.Combine(StateDirectory(projectDirectory), "state.db");

    /// <summary>
    /// Takes the project lock (or throws <see cref="ProjectLockedException"/>), checks the store (or throws
    /// <see cref="StateStoreException"/>) and starts the project actor, which recovers and resumes any unfinished
    /// generation. <paramref name="store"/> defaults to the project's SQLite file.
    /// </summary>
    /// <param name="logs">
    /// Where Akka's own log goes (at <c>nanokit.node.akka-log-level</c>); null keeps it off: a command reports every
    /// failure itself, in one line.
    /// </param>
    public static Task<EmbeddedNode> StartAsync(
        string projectName, string projectDirectory, IRuntimeProvider provider, ReconcilerSettings settings, string command, StateStore? store,
        CancellationToken cancellationToken, ILoggerFactory? logs = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var held = ProjectLock.Acquire(StateDirectory(projectDirectory), command);
        PostgreSqlProjectLock? storeLock = null;
        try
        {
            store ??= new StateStore.Sqlite(JournalPath(projectDirectory));
            if (store is StateStore.Sqlite sqlite)
            {
                StateFile.Prepare(sqlite.Path, NodeConfig.EngineFor(store));
            }
            else if (store is StateStore.PostgreSql postgres)
            {
                // The state is shared by every checkout of the project: the directory's lock alone excludes no one.
                var wait = NodeConfig.Base.GetTimeSpan("nanokit.store.postgresql.lock-wait");
                var keepalive = NodeConfig.Base.GetTimeSpan("nanokit.store.postgresql.lock-keepalive");
                storeLock = PostgreSqlProjectLock.Acquire(postgres.ConnectionString, projectName, command, wait, keepalive);
            }

            var config = NodeConfig.For(store);
            var system = logs is null ? ActorSystem.Create("nanokit", config) : LoggingTo(logs, config);
            var restart = ProjectRegion.BackoffSettings.From(config.GetConfig("nanokit.node.project-restart"));
            var projects = system.ActorOf(ProjectRegion.Props(id => ProjectActor.Props(id, projectDirectory, provider, settings), restart), "projects");
            // Started now, not at the first command: recovery resumes an unfinished generation at once.
            projects.Tell(new ProjectRegion.StartProject(projectName));
            if (storeLock is not null)
            {
                _ = StopOnLostLockAsync(storeLock, system, projects, projectName);
            }

            return Task.FromResult(new EmbeddedNode(system, held, storeLock, projects, projectName, store));
        }
        catch
        {
            storeLock?.Dispose();
            held.Dispose();
            throw;
        }
    }

    /// <summary>Akka's log through <see cref="LoggerFactoryLogger"/> (Akka.Hosting's bridge to Microsoft.Extensions.Logging), instead of its console logger.</summary>
    private static ActorSystem LoggingTo(ILoggerFactory logs, Config config)
    {
        var level = config.GetString("nanokit.node.akka-log-level");
        var logging = ConfigurationFactory.ParseString($"akka.loggers = [\"{typeof(LoggerFactoryLogger).AssemblyQualifiedName}\"]\nakka.loglevel = {level}");
        return ActorSystem.Create("nanokit", BootstrapSetup.Create().WithConfig(logging.WithFallback(config)).And(new LoggerFactorySetup(logs)));
    }

    /// <summary>
    /// Once the store's lock is lost another process may write the project too: the project's entities are stopped (no
    /// persist starts after this), and the loss is reported as a storage failure, which ends the command with its reason.
    /// </summary>
    private static async Task StopOnLostLockAsync(PostgreSqlProjectLock storeLock, ActorSystem system, IActorRef projects, string projectName)
    {
        var reason = await storeLock.Lost.ConfigureAwait(false);
        system.Stop(projects);
        system.EventStream.Publish(new StorageFailed(projectName, "lock", reason));
    }

    /// <summary>
    /// Asks the project entity (<see cref="ApplySpec"/>, <see cref="DestroyProject"/>, <see cref="CheckDrift"/>,
    /// <see cref="GetProjectStatus"/>) through its envelope.
    /// </summary>
    public Task<T> AskProject<T>(object message, TimeSpan timeout, CancellationToken cancellationToken) =>
        Projects.Ask<T>(new ProjectEnvelope(ProjectName, message), timeout, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        if (Store is StateStore.Sqlite)
        {
            // Pooled connections would keep the file open past the lock.
            SqliteConnection.ClearAllPools();
        }

        storeLock?.Dispose();
        projectLock.Dispose();
    }
}
