using Microsoft.Data.Sqlite;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// Checks <c>.nanokit/state.db</c> before the actor system opens it, so that a file the journal cannot use is one
/// clear message naming the file and what to do — never a crash, and never a silent fresh start at generation 1.
/// A new or current file is switched to WAL (stored in the file: every later connection uses it), which lets
/// recovery reads run beside the writer and makes each commit one append to the log.
/// </summary>
internal static class StateFile
{
    /// <summary>A table only the previous engine (Nanokit.Persistence) created.</summary>
    private const string PreviousEngineTable = "schema_version";

    public static void Prepare(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            var check = Scalar(connection, "PRAGMA quick_check;");
            if (check != "ok")
            {
                throw Unusable(path, $"it is damaged ({check})");
            }

            if (Scalar(connection, $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{PreviousEngineTable}';") != "0")
            {
                throw Unusable(path, "it was written by an earlier version of Nanokit, whose storage format this version does not read");
            }

            Scalar(connection, "PRAGMA journal_mode = WAL;");
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SQLitePCL.raw.SQLITE_NOTADB or SQLitePCL.raw.SQLITE_CORRUPT)
        {
            throw Unusable(path, "it is not a SQLite database, or it is damaged");
        }
        catch (SqliteException e)
        {
            throw new StateStoreException($"cannot open the state file {path}: {e.Message}");
        }
    }

    private static StateStoreException Unusable(string path, string why) => new(
        $"cannot use the state file {path}: {why}. Move it away (mv {path} {path}.old) and run the command again: "
        + "the runtime's own records show what runs, and `nkapp down` still removes it");

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The node's state store cannot be used (unreadable, unwritable, or of another format); the message says which and what to do.</summary>
public sealed class StateStoreException(string message) : Exception(message);
