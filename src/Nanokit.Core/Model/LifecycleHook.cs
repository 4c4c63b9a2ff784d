using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>
/// One entry of Compose's <c>post_start</c> or <c>pre_stop</c>: a command executed inside a replica's container right after
/// it starts (before any readiness wait) or right before it is stopped. Unset fields take the container's own values;
/// <see cref="Environment"/> adds to or overrides the service's.
/// </summary>
public sealed record LifecycleHook(
    ImmutableArray<string> Command,
    string? User,
    bool Privileged,
    string? WorkingDir,
    ImmutableSortedDictionary<string, string?> Environment)
{
    /// <summary>Compose sets no bound; Nanokit stops a hook that runs longer, as it does its own hooks by default.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The hook as Compose's config shows it, for <see cref="ContainerOptions.Fields"/>.</summary>
    public List<KeyValuePair<string, object?>> Fields()
    {
        var fields = new List<KeyValuePair<string, object?>> { new("command", Command.Cast<object?>().ToList()) };
        if (!Environment.IsEmpty)
        {
            fields.Add(new("environment", Environment.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)).ToList()));
        }

        if (Privileged)
        {
            fields.Add(new("privileged", true));
        }

        if (User is not null)
        {
            fields.Add(new("user", User));
        }

        if (WorkingDir is not null)
        {
            fields.Add(new("working_dir", WorkingDir));
        }

        return fields;
    }
}
