namespace Nanokit.Core.Plan;

/// <summary>What the executor does to one replica.</summary>
public enum ActionType
{
    /// <summary>Up to date: nothing to do.</summary>
    NoOp,

    /// <summary>Create a replica that does not exist.</summary>
    Create,

    /// <summary>Start an existing, stopped replica whose definition is current.</summary>
    Start,

    /// <summary>Recreate a replica: remove it and create it from the current definition.</summary>
    Update,

    /// <summary>Remove a replica.</summary>
    Delete,

    /// <summary>Stop a running replica and keep it (<c>nkapp stop</c>): its service is stopped by intent.</summary>
    Stop,

    /// <summary>Stop and start again a replica whose definition is current (<c>nkapp restart</c>).</summary>
    Restart,
}

/// <summary>
/// One step of a plan for one replica (1-based, as Compose numbers containers), with the reason for it.
/// <see cref="Cause"/> never contains a secret value.
/// </summary>
/// <param name="ConfigHash">The hash the replica has after the action; null for a deletion.</param>
/// <param name="ReplicaId">The runtime's id of the observed replica acted on; null when there is none.</param>
public sealed record PlanAction(
    string Service,
    int Replica,
    ActionType Action,
    string Cause,
    string? ConfigHash = null,
    string? ReplicaId = null)
{
    /// <summary>A NO_OP for a replica that exited and is not brought back because its restart bound (<c>on-failure:3</c>) is reached.</summary>
    public bool RestartBoundReached { get; init; }
}
