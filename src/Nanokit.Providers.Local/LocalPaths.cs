using Nanokit.Core.Model;

namespace Nanokit.Providers.Local;

/// <summary>
/// Where the local runtime keeps things, per project so that two projects sharing a directory never collide:
/// <c>&lt;dir&gt;/.nanokit/local/&lt;project&gt;/&lt;service&gt;-&lt;n&gt;.json</c> (state, mode 600),
/// <c>...-&lt;n&gt;.exit</c> (exit code written by the wrapper), <c>...-&lt;n&gt;.health</c> (last health verdict) and
/// <c>&lt;dir&gt;/.nanokit/logs/&lt;project&gt;/&lt;service&gt;-&lt;n&gt;.log</c> (output, rotated to .1 .. .N).
/// A service's running hook has <c>.../&lt;project&gt;/hooks/&lt;service&gt;.json</c> and <c>.exit</c> (one hook at a time per
/// service) and logs to <c>.../logs/&lt;project&gt;/&lt;service&gt;.&lt;kind&gt;.log</c>; a replica's log always ends in
/// <c>-&lt;n&gt;.log</c>, so the two never collide.
/// </summary>
internal sealed record LocalPaths(string ProjectDirectory, string Project)
{
    public string StateDirectory => Path.Combine(ProjectDirectory, ".nanokit", "local", Project);

    public string LogDirectory => Path.Combine(ProjectDirectory, ".nanokit", "logs", Project);

    public string StateFile(string service, int replica) => Path.Combine(StateDirectory, Slot(service, replica) + ".json");

    public string ExitFile(string service, int replica) => Path.Combine(StateDirectory, Slot(service, replica) + ".exit");

    public string HealthFile(string service, int replica) => Path.Combine(StateDirectory, Slot(service, replica) + ".health");

    public string LogFile(string service, int replica) => Path.Combine(LogDirectory, Slot(service, replica) + ".log");

    public string HookDirectory => Path.Combine(StateDirectory, "hooks");

    public LaunchFiles Hook(string service, HookKind kind) => new(
        Path.Combine(HookDirectory, service + ".json"),
        Path.Combine(LogDirectory, $"{service}.{kind.ToString().ToLowerInvariant()}.log"),
        Path.Combine(HookDirectory, service + ".exit"));

    public static string Slot(string service, int replica) => $"{service}-{replica}";

    /// <summary>Names become file names: refuse anything that could escape the directory.</summary>
    public static bool IsSafeName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.IndexOfAny(['/', '\\', '\0']) < 0;
}
