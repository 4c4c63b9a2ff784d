namespace Nanokit.Runtime;

/// <summary>Which names may enter a child's environment.</summary>
internal static class EnvironmentNames
{
    /// <summary>
    /// A name holding '=' would be read back by getenv as another variable (<c>PATH=/x:/usr/bin</c> overrides PATH);
    /// NUL would cut the entry short. The config loader reports such keys with their location; this is the last guard.
    /// </summary>
    public static bool IsValid(string name) => name.Length > 0 && name.IndexOfAny(['=', '\0']) < 0;
}
