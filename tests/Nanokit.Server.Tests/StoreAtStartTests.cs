namespace Nanokit.Server.Tests;

/// <summary>A node started while its PostgreSQL cannot be reached keeps trying, one log line per attempt, until SIGTERM.</summary>
public sealed class StoreAtStartTests : IDisposable
{
    private readonly TestFiles files = new();

    [Fact]
    public async Task A_node_whose_store_is_unreachable_at_start_retries_logging_each_attempt_and_exits_0_on_SIGTERM()
    {
        // A port nothing listens on: every connection attempt is refused.
        var port = LoopbackPort.Free();
        await using var node = ServerNode.Start($"Host=127.0.0.1;Port={port};Username=nanokit;Database=absent", files.TokenFile, files.ConfigFile, seedClusterPort: null);

        await Eventually.Async(TimeSpan.FromSeconds(60), () =>
        {
            Assert.False(node.HasExited, "the node exited:\n" + node.Output);
            Assert.Contains("(attempt 2:", node.Output);
            return Task.CompletedTask;
        });
        Assert.Contains("(attempt 1:", node.Output);
        Assert.Equal(0, await node.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    public void Dispose() => files.Dispose();
}
