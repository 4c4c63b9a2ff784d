using System.Collections.Immutable;

namespace Nanokit.Server.Intents;

/// <summary>Intents read from the store that their project may not have accepted yet; <see cref="IntentDelivery"/> sends the ones it must.</summary>
/// <param name="Scope">What the read covered, which says what the absence of an intent from it means.</param>
internal sealed record IntentsPending(ImmutableArray<Intent> Intents, PendingScope Scope);

internal enum PendingScope
{
    /// <summary>The projects named in notifications: says nothing about the others.</summary>
    Notified,

    /// <summary>Every pending intent accepted since the previous sweep (with an overlap): an older one absent from it is no longer read.</summary>
    Recent,

    /// <summary>Every pending intent in the store: one absent from it has been accepted (or superseded) everywhere.</summary>
    All,
}
