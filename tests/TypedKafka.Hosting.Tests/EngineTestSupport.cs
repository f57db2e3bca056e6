using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedKafka.Testing;

namespace TypedKafka.Hosting.Tests;

/// <summary>Hosts, payloads and observation helpers shared by the engine's end-to-end tests.</summary>
internal static class EngineTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static byte[] Json(string key, int n) => Encoding.UTF8.GetBytes($$"""{"Key":"{{key}}","N":{{n}}}""");

    public static TestRecord Seq(string key, int n, int? partition = null) =>
        new(Encoding.UTF8.GetBytes(key), Json(key, n)) { Partition = partition };

    /// <summary>A host running only <paramref name="group"/>'s handlers, with test-friendly timings.</summary>
    public static IHost BuildHost(KafkaTestCluster cluster, string group, Probe probe, Action<TypedKafkaOptions>? configure = null, LogSink? logs = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(probe);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddTypedKafka(options =>
        {
            options.BootstrapServers = cluster.BootstrapServers;
            options.Groups = [group];
            options.CommitInterval = TimeSpan.FromMilliseconds(100);
            options.HandlerRetryBackoff = TimeSpan.FromMilliseconds(20);
            options.MaxHandlerRetryBackoff = TimeSpan.FromMilliseconds(200);
            options.ShutdownTimeout = TimeSpan.FromSeconds(20);
            options.Consumer.AutoOffsetReset = AutoOffsetReset.Earliest;
            options.Consumer.FetchMaxWait = TimeSpan.FromMilliseconds(50);
            options.Consumer.SessionTimeout = TimeSpan.FromSeconds(6);
            options.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(options);
        });
        return builder.Build();
    }

    public static GroupEngine Engine(this IHost host, string group) =>
        host.Services.GetServices<IHostedService>().OfType<TypedKafkaHostedService>().Single().Engine(group)
        ?? throw new InvalidOperationException($"Group {group} has no engine.");

    public static TypedKafkaReadiness Readiness(this IHost host) => host.Services.GetRequiredService<TypedKafkaReadiness>();

    public static async Task<long?> CommittedAsync(KafkaTestCluster cluster, string group, TopicPartition partition, CancellationToken ct)
    {
        await using var check = new KafkaConsumer<Ignore, Ignore>(new ConsumerOptions { BootstrapServers = cluster.BootstrapServers, GroupId = group });
        return (await check.CommittedAsync(partition, ct))?.Offset;
    }
}

/// <summary>Keeps every log entry of a host, to check what a run logged.</summary>
public sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}
