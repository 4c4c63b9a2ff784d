using Nanokit.Core.Model;

namespace Nanokit.Runtime;

/// <summary>A replica's new observed state; a vanished replica comes as <see cref="ReplicaState.Missing"/>.</summary>
public sealed record RuntimeChange(string Project, ObservedReplica Replica, DateTimeOffset At);
