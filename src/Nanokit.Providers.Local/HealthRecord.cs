using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// The last health verdict of one replica incarnation (<see cref="ReplicaRecord.Id"/>), kept in
/// <c>&lt;service&gt;-&lt;n&gt;.health</c> beside its state file so that a later nkapp process knows what this one saw.
/// </summary>
internal sealed record HealthRecord(string Incarnation, HealthStatus Status, DateTimeOffset At);
