using Akka.Event;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>An embedded node given a logger routes Akka's own log there (not to Akka's console logger), at nanokit.node.akka-log-level.</summary>
public sealed class EmbeddedNodeLogTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-log-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Akka_warnings_reach_the_logger_the_node_is_given_and_its_info_lines_do_not()
    {
        var logged = new Collected();
        using var logs = LoggerFactory.Create(logging => logging.AddProvider(logged));
        await using var node = await EmbeddedNode.StartAsync(
            "log-spec", directory, new SimulatedRuntime(new SimulatedRuntimeOptions()), ReconcilerSettings.Default, "up", StateStore.InMemory.Instance, CancellationToken.None, logs);

        node.System.Log.Info("an info line");
        node.System.Log.Warning("a warning {0}", 42);

        var line = await logged.Warning.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Contains("a warning 42", line);
        Assert.DoesNotContain(logged.Lines, l => l.Contains("an info line", StringComparison.Ordinal));
    }

    private sealed class Collected : ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public TaskCompletionSource<string> Warning { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            Lines.Enqueue(line);
            if (logLevel == LogLevel.Warning)
            {
                Warning.TrySetResult(line);
            }
        }

        public void Dispose()
        {
        }
    }
}
