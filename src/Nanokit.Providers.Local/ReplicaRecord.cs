using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Local;

/// <summary>
/// What the local runtime remembers about one replica slot. It holds the applied <see cref="ServiceSpec"/>
/// including secret values, because restarting the replica needs them; that is why the file is mode 600
/// in a mode-700 directory. <see cref="Token"/> is the wrapper's go signal (see <see cref="ProcessLauncher"/>).
/// </summary>
internal sealed record ReplicaRecord(
    string Project,
    string Service,
    int Replica,
    int Pid,
    long StartTicks,
    string BootId,
    string Token,
    string ConfigHash,
    long Generation,
    DateTimeOffset StartedAt,
    ServiceSpec Spec)
{
    public string Id => $"local:{Pid.ToString(CultureInfo.InvariantCulture)}:{StartTicks.ToString(CultureInfo.InvariantCulture)}";

    [JsonIgnore]
    public ProcessIdentity Process => new(Pid, StartTicks, BootId);
}

/// <summary>Reads and writes state files (replica and hook records). Writes are atomic (temp file, fsync, rename) so a crash leaves the old or the new record, never half of one.</summary>
internal static class ReplicaRecordStore
{
    // One line on purpose: the wrapper script reads the first line with the shell builtin `read` to find its token.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void EnsurePrivateDirectory(string path) => Directory.CreateDirectory(path, PrivateDirectory);

    public static void Write<T>(string path, T record)
    {
        EnsurePrivateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp." + Guid.NewGuid().ToString("N")[..8];
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = PrivateFile,
        };
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, record, Json);
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The record, or null when there is none or it is unreadable (a foreign or corrupt file is not ours).</summary>
    public static ReplicaRecord? Read(string path) => Read<ReplicaRecord>(path);

    /// <inheritdoc cref="Read(string)"/>
    public static T? Read<T>(string path)
        where T : class
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    public static IEnumerable<ReplicaRecord> ReadAll(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.json"))
        {
            if (Read(file) is { } record)
            {
                yield return record;
            }
        }
    }

    /// <summary>The exit code the wrapper recorded, or null when it has not (yet) written one.</summary>
    public static int? ReadExitCode(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code)
                ? code
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
