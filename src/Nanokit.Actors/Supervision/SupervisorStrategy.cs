namespace Nanokit.Actors.Supervision;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the instance and its state; the failing message is dropped.</summary>
    Resume,

    /// <summary>Replace the instance; the mailbox is kept, the failing message is dropped.</summary>
    Restart,

    /// <summary>Stop the child.</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the same exception.</summary>
    Escalate,
}

/// <summary>
/// Decides on a child's failure. A restart is allowed at most <see cref="MaxNrOfRetries"/> times
/// within <see cref="WithinTimeRange"/> (negative retries: unlimited; infinite range: for ever);
/// past that the child is stopped.
/// </summary>
public abstract class SupervisorStrategy
{
    protected SupervisorStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider, bool loggingEnabled)
    {
        ArgumentNullException.ThrowIfNull(decider);
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        Decider = decider;
        LoggingEnabled = loggingEnabled;
    }

    /// <summary>Restart on any exception, except stop on ActorInitialization/ActorKilled/DeathPact exceptions.</summary>
    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(DefaultDecider);

    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(static _ => Directive.Stop);

    public int MaxNrOfRetries { get; }

    public TimeSpan WithinTimeRange { get; }

    public Func<Exception, Directive> Decider { get; }

    public bool LoggingEnabled { get; }

    public static Directive DefaultDecider(Exception exception) => exception switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    internal abstract void Restart(ActorCell parent, ActorCell child, Exception cause);

    internal abstract void StopChildren(ActorCell parent, ActorCell child);

    internal bool RequestRestartPermission(ActorCell parent, ActorCell child) =>
        parent.RestartStatisticsOf(child).RequestRestartPermission(
            MaxNrOfRetries, WithinTimeRange, parent.System.Settings.TimeProvider.GetTimestamp(), parent.System.Settings.TimeProvider);
}

/// <summary>Applies the directive to the failed child only.</summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    public OneForOneStrategy(Func<Exception, Directive> decider)
        : this(-1, Timeout.InfiniteTimeSpan, decider)
    {
    }

    public OneForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider, bool loggingEnabled = true)
        : base(maxNrOfRetries, withinTimeRange, decider, loggingEnabled)
    {
    }

    internal override void Restart(ActorCell parent, ActorCell child, Exception cause)
    {
        if (RequestRestartPermission(parent, child))
        {
            parent.RestartChild(child, cause, suspendFirst: false);
        }
        else
        {
            parent.StopChild(child);
        }
    }

    internal override void StopChildren(ActorCell parent, ActorCell child) => parent.StopChild(child);
}

/// <summary>Applies Restart and Stop to all children of the supervisor (Resume to the failed child only).</summary>
public sealed class AllForOneStrategy : SupervisorStrategy
{
    public AllForOneStrategy(Func<Exception, Directive> decider)
        : this(-1, Timeout.InfiniteTimeSpan, decider)
    {
    }

    public AllForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider, bool loggingEnabled = true)
        : base(maxNrOfRetries, withinTimeRange, decider, loggingEnabled)
    {
    }

    internal override void Restart(ActorCell parent, ActorCell child, Exception cause)
    {
        var children = parent.ChildrenForSupervision();
        var allowed = true;
        foreach (var sibling in children)
        {
            allowed &= RequestRestartPermission(parent, sibling);
        }

        foreach (var sibling in children)
        {
            if (!allowed)
            {
                parent.StopChild(sibling);
            }
            else
            {
                parent.RestartChild(sibling, cause, suspendFirst: !ReferenceEquals(sibling, child));
            }
        }
    }

    internal override void StopChildren(ActorCell parent, ActorCell child)
    {
        foreach (var sibling in parent.ChildrenForSupervision())
        {
            parent.StopChild(sibling);
        }
    }
}
