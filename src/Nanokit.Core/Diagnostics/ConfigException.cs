using System.Collections.Immutable;

namespace Nanokit.Core.Diagnostics;

/// <summary>Thrown when a project cannot be loaded; carries every error found, not only the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IEnumerable<ConfigError> errors)
        : this(errors.ToImmutableArray())
    {
    }

    private ConfigException(ImmutableArray<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ImmutableArray<ConfigError> Errors { get; }
}
