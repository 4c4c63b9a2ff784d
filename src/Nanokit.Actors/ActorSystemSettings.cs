using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Nanokit.Actors;

/// <summary>Settings of an <see cref="ActorSystem"/>; immutable, changed with <c>with</c>.</summary>
public sealed record ActorSystemSettings
{
    public static ActorSystemSettings Default { get; } = new();

    /// <summary>User messages an actor processes per turn before yielding its thread.</summary>
    public int Throughput { get; init; } = 100;

    /// <summary>How many dead letters are logged (all are counted and published).</summary>
    public int LogDeadLetters { get; init; } = 10;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Time source of timers, receive timeouts, Ask timeouts and restart windows.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal ActorSystemSettings Validate()
    {
        if (Throughput < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Throughput), Throughput, "Throughput must be at least 1.");
        }

        if (LogDeadLetters < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LogDeadLetters), LogDeadLetters, "LogDeadLetters must not be negative.");
        }

        ArgumentNullException.ThrowIfNull(LoggerFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        return this;
    }
}
