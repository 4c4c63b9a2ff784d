namespace Nanokit.Core.Diagnostics;

/// <summary>One problem found in the configuration, reported as <c>file:line:col: message</c>.</summary>
public sealed record ConfigError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
