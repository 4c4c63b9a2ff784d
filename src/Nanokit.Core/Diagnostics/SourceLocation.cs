namespace Nanokit.Core.Diagnostics;

/// <summary>A position in a configuration file; lines and columns are 1-based.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public static readonly SourceLocation Unknown = new("<unknown>", 0, 0);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
