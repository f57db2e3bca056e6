using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Options, polling helpers and a log capture for consumer tests against <see cref="FakeKafkaBroker"/>.</summary>
internal static class ByteLevelKit
{
    /// <summary>How long any single wait in these tests may take (they normally finish in milliseconds).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public const string Topic = "t";

    public static readonly TopicPartition P0 = new(Topic, 0);

    public static readonly TopicPartition P1 = new(Topic, 1);

    public static ConsumerOptions Options(FakeKafkaBroker broker, Action<ConsumerOptions>? configure = null)
    {
        var options = new ConsumerOptions
        {
            BootstrapServers = broker.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            FetchMaxWait = TimeSpan.FromMilliseconds(50),
            RetryBackoff = TimeSpan.FromMilliseconds(10),
            ReconnectBackoff = TimeSpan.FromMilliseconds(10),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromSeconds(5),
            ConnectionSetupTimeout = TimeSpan.FromSeconds(2),
            CheckCrcs = true,
        };
        configure?.Invoke(options);
        return options;
    }

    public static KafkaConsumer<string?, string?> NewConsumer(FakeKafkaBroker broker, Action<ConsumerOptions>? configure = null,
        IDeserializer<string?>? valueDeserializer = null, params TopicPartition[] assign)
    {
        var consumer = new KafkaConsumer<string?, string?>(Options(broker, configure), valueDeserializer: valueDeserializer);
        consumer.Assign(assign.Length == 0 ? [P0] : assign);
        return consumer;
    }

    /// <summary>Polls until <paramref name="count"/> records arrived; a poll that throws fails the test.</summary>
    public static async Task<List<ConsumerRecord<TKey, TValue>>> ConsumeAsync<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer, int count, TimeSpan? patience = null)
    {
        var received = new List<ConsumerRecord<TKey, TValue>>();
        using var deadline = new CancellationTokenSource(patience ?? Patience);
        while (received.Count < count)
        {
            if (deadline.IsCancellationRequested)
                throw new TimeoutException($"Received {received.Count} of {count} records: {string.Join(", ", received.Select(r => $"{r.Offset}={r.Value}"))}.");
            received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(100)));
        }
        return received;
    }

    /// <summary>Polls until a poll throws, returning the records received before and the exception.</summary>
    public static async Task<(List<ConsumerRecord<TKey, TValue>> Before, Exception Error)> ConsumeUntilErrorAsync<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer)
    {
        var received = new List<ConsumerRecord<TKey, TValue>>();
        using var deadline = new CancellationTokenSource(Patience);
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(100)));
            }
            catch (Exception e) when (e is not TimeoutException)
            {
                return (received, e);
            }
        }
        throw new TimeoutException($"No poll failed within {Patience.TotalSeconds} s; received {received.Count} records.");
    }

    /// <summary>Polls for a short while to show that nothing more arrives.</summary>
    public static async Task<List<ConsumerRecord<TKey, TValue>>> PollQuietlyAsync<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer, TimeSpan duration)
    {
        var received = new List<ConsumerRecord<TKey, TValue>>();
        var until = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < until) received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(50)));
        return received;
    }

    /// <summary>Waits until the broker has received a request matching <paramref name="match"/>, and returns it.</summary>
    public static async Task<ReceivedRequest> WaitForRequestAsync(FakeKafkaBroker broker, ApiKey api, Func<ReceivedRequest, bool> match, string what)
    {
        ReceivedRequest? found = null;
        await Eventually.TrueAsync(() => (found = broker.RequestsOf(api).FirstOrDefault(match)) is not null, Patience, what);
        return found!;
    }

    public static void AssertOffsets<TKey, TValue>(IEnumerable<ConsumerRecord<TKey, TValue>> records, IEnumerable<long> expected) =>
        Assert.Equal(expected.ToList(), records.Select(r => r.Offset).ToList());

    public static IEnumerable<long> Range(long from, long toExclusive)
    {
        for (var i = from; i < toExclusive; i++) yield return i;
    }
}

/// <summary>Keeps every log line of the consumer for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Lines => [.. _lines];

    public bool Contains(LogLevel atLeast, string fragment) =>
        _lines.Any(l => l.Level >= atLeast && l.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase));

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : $" | {exception.Message}")));
}

/// <summary>A value deserializer that throws on one value, to test poison records.</summary>
internal sealed class ThrowingOn(string poison) : IDeserializer<string?>
{
    public string? Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context)
    {
        if (isNull) return null;
        var text = System.Text.Encoding.UTF8.GetString(data);
        return text == poison ? throw new FormatException($"'{poison}' is not a valid value") : text;
    }
}
