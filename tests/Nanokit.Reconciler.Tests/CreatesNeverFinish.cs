using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// Creates wait until cancelled (the node stopping), as a runtime that hangs would: a crash staged with it always
/// lands mid-run, however fast the journal and the rest of the run are.
/// </summary>
internal sealed class CreatesNeverFinish(SimulatedRuntime inner) : DelegatingProvider(inner)
{
    public override async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new OperationCanceledException(cancellationToken);
    }
}
