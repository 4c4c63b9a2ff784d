namespace Nanokit.Reconciler.Persistence;

/// <summary>
/// Marks what the reconciler writes to the journal or snapshot store; hocon/akka.conf binds it to
/// <see cref="ReconcilerSerializer"/>, so each payload is stored under its stable manifest.
/// </summary>
public interface IPersistedState;
