using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary><c>--log LEVEL</c>: one logger factory for every TypedKafka consumer, writing single lines with
/// milliseconds to stderr (stdout carries the report). Diagnostics only: the measured runs log nothing.</summary>
internal static class DiagnosticLogging
{
    private static ILoggerFactory? _factory;

    public static ILoggerFactory Factory(LogLevel level) => _factory ??= LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
