namespace Nanokit.Actors;

/// <summary>The actor of the root, /user and /system cells: handles nothing, supervises with the default strategy.</summary>
internal sealed class GuardianActor : ActorBase
{
    protected override bool Receive(object message) => false;
}
