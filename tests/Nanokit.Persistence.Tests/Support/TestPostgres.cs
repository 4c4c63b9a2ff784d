using Npgsql;

namespace Nanokit.Persistence.Tests.Support;

/// <summary>
/// The PostgreSQL the tests run against: <c>NANOKIT_TEST_POSTGRES</c>, or the instance
/// <c>scripts/postgres.sh</c> starts. Never skipped: if it is not there, tests fail and say
/// how to start it. Each test gets its own schema, so concurrent runs never collide.
/// </summary>
public static class TestPostgres
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres;Pooling=true;Timeout=5";

    private static readonly Lazy<NpgsqlDataSource> Shared = new(() => NpgsqlDataSource.Create(ConnectionString));

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES") is { Length: > 0 } fromEnv ? fromEnv : DefaultConnectionString;

    public static NpgsqlDataSource DataSource => Shared.Value;

    /// <summary>A fresh schema name unique to this process and call.</summary>
    public static string NewSchemaName() => $"nk_test_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];

    public static async Task EnsureReachableAsync()
    {
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at '{ConnectionString}' ({e.Message}). Run scripts/test.sh, or start it with scripts/postgres.sh start "
                + "(or point NANOKIT_TEST_POSTGRES at a server).",
                e);
        }
    }

    public static async Task DropSchemaAsync(string schema)
    {
        await using var command = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
