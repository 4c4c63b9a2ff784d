using Akka.Actor;
using Akka.Pattern;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The project entities of one process, by id: each <see cref="ProjectEnvelope"/> goes to its entity, which is started
/// (and so recovered) by the first envelope for it. An entity runs under a backoff supervisor: one that throws is
/// restarted after a growing pause; one that stops (a storage failure) stays stopped until an envelope asks for it again.
/// </summary>
internal sealed class ProjectRegion : ReceiveActor
{
    /// <summary>Akka's value for "no limit" on a backoff supervisor's restarts.</summary>
    private const int UnlimitedRestarts = -1;

    public ProjectRegion(Func<string, Props> entity, BackoffSettings restart)
    {
        IActorRef Entity(string id)
        {
            var name = Uri.EscapeDataString(id);
            var child = Context.Child(name);
            return child.IsNobody()
                ? Context.ActorOf(BackoffSupervisor.Props(Backoff.OnFailure(entity(id), "project", restart.Min, restart.Max, restart.RandomFactor, UnlimitedRestarts)), name)
                : child;
        }

        Receive<ProjectEnvelope>(envelope => Entity(envelope.ProjectId).Forward(envelope.Message));
        Receive<StartProject>(start => Entity(start.ProjectId));
    }

    public static Props Props(Func<string, Props> entity, BackoffSettings restart) =>
        Akka.Actor.Props.Create(() => new ProjectRegion(entity, restart));

    /// <summary>Starts (recovers) an entity without a message for it: a project with unfinished work resumes at once.</summary>
    public sealed record StartProject(string ProjectId);

    /// <summary><c>nanokit.node.project-restart</c> in hocon/akka.conf.</summary>
    public sealed record BackoffSettings(TimeSpan Min, TimeSpan Max, double RandomFactor)
    {
        public static BackoffSettings From(Akka.Configuration.Config config) =>
            new(config.GetTimeSpan("min"), config.GetTimeSpan("max"), config.GetDouble("random-factor"));
    }
}
