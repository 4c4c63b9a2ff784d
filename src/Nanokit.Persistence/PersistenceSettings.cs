using System.Runtime.CompilerServices;
using Nanokit.Actors;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence;

/// <summary>
/// What persistent actors of one actor system write to. Built once at start-up (the engine
/// chosen by <c>nanokit.persistence.engine</c>), registered with <see cref="Persistence.Register"/>.
/// Defaults mirror <c>hocon/persistence.conf</c>.
/// </summary>
public sealed record PersistenceSettings
{
    public PersistenceSettings(IJournal journal, ISnapshotStore snapshotStore)
    {
        Journal = journal ?? throw new ArgumentNullException(nameof(journal));
        SnapshotStore = snapshotStore ?? throw new ArgumentNullException(nameof(snapshotStore));
    }

    public IJournal Journal { get; init; }

    public ISnapshotStore SnapshotStore { get; init; }

    /// <summary>Events read per journal page during recovery (<c>persistent-actor.recovery-page-size</c>).</summary>
    public int RecoveryPageSize { get; init; } = 10_000;

    /// <summary>Longest a read, snapshot or delete call may take before it counts as failed (<c>persistent-actor.journal-call-timeout</c>); appends are not timed out here, see <c>PersistentActor.StartWrite</c>.</summary>
    public TimeSpan JournalCallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal PersistenceSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(RecoveryPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JournalCallTimeout, TimeSpan.Zero);
        return this;
    }
}

/// <summary>
/// The persistence extension: which <see cref="PersistenceSettings"/> an actor system's
/// persistent actors use. Kept beside the system rather than in it so the runtime knows
/// nothing of persistence; the entry goes away with the system.
/// </summary>
public static class Persistence
{
    private static readonly ConditionalWeakTable<ActorSystem, PersistenceSettings> Registered = new();

    /// <summary>Registers (or replaces) the settings of <paramref name="system"/>.</summary>
    public static void Register(ActorSystem system, PersistenceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        Registered.AddOrUpdate(system, settings.Validate());
    }

    public static PersistenceSettings Get(ActorSystem system) =>
        Registered.TryGetValue(system, out var settings)
            ? settings
            : throw new InvalidOperationException(
                $"actor system '{system.Name}' has no persistence: call Persistence.Register(system, new PersistenceSettings(journal, snapshotStore)) at start-up");
}
