using Microsoft.Extensions.Logging;

namespace Nanokit.Cli.Running;

/// <summary>
/// The command's stderr as a logger, for Akka's own log under NANOKIT_DEBUG (EmbeddedNode routes Akka's log here,
/// at nanokit.node.akka-log-level): one line each, <c>nkapp: warning: SOURCE: message</c>. Without NANOKIT_DEBUG there is
/// none, and Akka stays silent: a command reports every failure itself, in one line.
/// </summary>
internal sealed class ErrorLog(TextWriter error) : ILoggerProvider
{
    public static ILoggerFactory? For(CliContext context) =>
        context.Environment.ContainsKey("NANOKIT_DEBUG") ? LoggerFactory.Create(logging => logging.AddProvider(new ErrorLog(context.Error))) : null;

    public ILogger CreateLogger(string categoryName) => new Writer(error, categoryName);

    public void Dispose()
    {
    }

    private sealed class Writer(TextWriter error, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"nkapp: {logLevel.ToString().ToLowerInvariant()}: {category}: {formatter(state, exception)}";
            lock (error)
            {
                error.WriteLine(exception is null ? line : $"{line}\n{exception}");
            }
        }
    }
}
