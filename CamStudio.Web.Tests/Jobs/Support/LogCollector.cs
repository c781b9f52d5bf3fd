using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>Keeps what the app logs, so a test can read the lines (and see whether an exception was attached).</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Collector(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception));
        }
    }
}

public sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception);
