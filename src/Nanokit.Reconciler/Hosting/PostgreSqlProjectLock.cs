using Npgsql;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// One writer per project in a shared PostgreSQL state store, wherever the commands run: a session-level advisory lock
/// keyed by the project's name, held on a connection of its own for the node's lifetime. PostgreSQL releases it when
/// that session ends — the process exiting, or killed (the kernel closes its socket and the server ends the session).
/// The holding connection carries who holds it as its application_name, so a refused command can say who is in the way.
/// A killed holder's session may take a moment to end, so acquiring waits up to <c>nanokit.store.postgresql.lock-wait</c>.
/// The lock lasts only as long as that session: if it ends while the lock is held (the server restarted, the network cut,
/// an administrator's pg_terminate_backend), another process may take the project. Npgsql's keepalive
/// (<c>nanokit.store.postgresql.lock-keepalive</c>) notices it on the idle connection, and <see cref="Lost"/> completes.
/// </summary>
public sealed class PostgreSqlProjectLock : IDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly TaskCompletionSource<string> lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool released;

    private PostgreSqlProjectLock(NpgsqlConnection connection, string project)
    {
        this.connection = connection;
        connection.StateChange += (_, change) =>
        {
            if (change.CurrentState != System.Data.ConnectionState.Open && !released)
            {
                lost.TrySetResult($"the connection holding the project {project}'s lock in PostgreSQL ended, so another nkapp may take the project now; nothing more is written");
            }
        };
    }

    /// <summary>Completes, with a message saying so, if the lock's session ends before <see cref="Dispose"/>; never otherwise.</summary>
    public Task<string> Lost => lost.Task;

    /// <summary>Takes the lock, or throws <see cref="ProjectLockedException"/> naming the holder, or <see cref="StateStoreException"/> when the store cannot be reached.</summary>
    /// <param name="keepalive">How often the idle lock connection is checked (rounded up to whole seconds, Npgsql's unit).</param>
    public static PostgreSqlProjectLock Acquire(string connectionString, string project, string command, TimeSpan wait, TimeSpan keepalive)
    {
        var holder = $"nkapp {command} (pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z)";
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = holder,
            Pooling = false,
            KeepAlive = (int)Math.Ceiling(keepalive.TotalSeconds),
        };
        var connection = new NpgsqlConnection(builder.ToString());
        try
        {
            connection.Open();
            using (var setWait = new NpgsqlCommand($"SET lock_timeout = {(long)wait.TotalMilliseconds}", connection))
            {
                setWait.ExecuteNonQuery();
            }

            using var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended($1, 0))", connection);
            take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(project) });
            take.ExecuteNonQuery();
            return new PostgreSqlProjectLock(connection, project);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            var by = Holder(connection, project);
            connection.Dispose();
            throw new ProjectLockedException($"the project {project} is locked in the PostgreSQL state store by {by}; wait for it to finish or stop it");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            connection.Dispose();
            throw new StateStoreException($"cannot use the PostgreSQL state store ({StateStore.Variable}): {e.Message}");
        }
    }

    public void Dispose()
    {
        released = true;
        connection.Dispose();
    }

    private static string Key(string project) => "nanokit.project." + project;

    private static string Holder(NpgsqlConnection connection, string project)
    {
        try
        {
            using var query = new NpgsqlCommand(
                """
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)
                """,
                connection);
            query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Key(project) });
            return query.ExecuteScalar() is string { Length: > 0 } name ? name : "another nkapp";
        }
        catch (NpgsqlException)
        {
            return "another nkapp";
        }
    }
}
