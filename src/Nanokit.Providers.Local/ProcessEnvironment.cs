using System.Collections.Immutable;
using System.Globalization;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// What a service process sees: exactly the service's environment, plus PATH and HOME from the host
/// (a process without PATH can hardly run anything) unless the service sets them, plus the NANOKIT_* identity.
/// A variable declared without a value takes the host's value, as Compose does, and stays unset otherwise.
/// A name that is not a valid name (holding '=' or NUL) never enters: it could stand in for another variable.
/// </summary>
internal static class ProcessEnvironment
{
    public static ImmutableSortedDictionary<string, string> For(ProjectRef project, ServiceSpec service, int? replica)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "PATH", "HOME" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                result[name] = value;
            }
        }

        foreach (var (name, value) in service.Environment)
        {
            if (EnvironmentNames.IsValid(name) && (value ?? Environment.GetEnvironmentVariable(name)) is { } resolved)
            {
                result[name] = resolved;
            }
        }

        result["NANOKIT_PROJECT"] = project.Name;
        result["NANOKIT_SERVICE"] = service.Name;
        if (replica is { } n)
        {
            result["NANOKIT_REPLICA"] = n.ToString(CultureInfo.InvariantCulture);
        }

        return result.ToImmutable();
    }

    /// <summary><c>working_dir</c> resolved against the project directory (the project directory when unset).</summary>
    public static string WorkingDirectory(ProjectRef project, ServiceSpec service) =>
        string.IsNullOrEmpty(service.WorkingDir)
            ? Path.GetFullPath(project.Directory)
            : Path.GetFullPath(service.WorkingDir, Path.GetFullPath(project.Directory));

    /// <summary>The argv Compose would run: entrypoint followed by command.</summary>
    public static ImmutableArray<string> CommandLine(ServiceSpec service) =>
        [.. service.Entrypoint ?? [], .. service.Command ?? []];

    /// <summary>Finds an executable as execvp would (relative paths against the working directory), or null.</summary>
    public static string? ResolveExecutable(string program, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(program, workingDirectory);
            return IsExecutable(path) ? path : null;
        }

        var searchPath = environment.TryGetValue("PATH", out var p) ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(Path.GetFullPath(dir, workingDirectory), program);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The host's copy of a system tool, so the wrapper works even when the service sets its own PATH.</summary>
    public static string HostTool(string name) =>
        ResolveExecutable(name, "/", new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" })
        ?? name;

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
