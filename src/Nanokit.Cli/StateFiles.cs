using System.Text.Json;

namespace Nanokit.Cli;

/// <summary>The CLI's JSON read models kept in the state directory beside the journal (<see cref="AppliedIntent"/>, <see cref="LastRun"/>).</summary>
internal static class StateFiles
{
    /// <summary>
    /// The file's value, or null when there is none. A file that cannot be read is only a cache: <paramref name="warn"/>
    /// says it is ignored and that <paramref name="rewrittenBy"/> writes it again.
    /// </summary>
    public static T? Read<T>(string path, JsonSerializerOptions json, Action<string>? warn, string rewrittenBy)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), json);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            warn?.Invoke($"warning: ignoring {path} ({e.Message.Split(" Path:")[0]}); {rewrittenBy} rewrites it");
            return null;
        }
    }

    /// <summary>Writes through a temporary file, owner-only as the rest of the state directory, so a reader never sees half of it.</summary>
    public static void Write<T>(string path, T value, JsonSerializerOptions json)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Nanokit.Runtime.StateDirectory.OwnerOnlyFile;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, value, json);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
