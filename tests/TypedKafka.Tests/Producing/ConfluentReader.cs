using Confluent.Kafka;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

/// <summary>A record as an independent client (Confluent.Kafka over librdkafka) read it back.</summary>
internal sealed record ReadRecord(int Partition, long Offset, byte[]? Key, byte[]? Value, long Timestamp, IReadOnlyList<(string Key, byte[]? Value)> Headers);

/// <summary>Reads a topic back with Confluent.Kafka's consumer (test-only), so that the producer's bytes are judged by
/// another implementation. Binds Confluent to the mock's librdkafka through <see cref="TestProducer.NativeVersion"/>.</summary>
internal static class ConfluentReader
{
    /// <summary>Reads <paramref name="expected"/> records from all <paramref name="partitions"/> partitions of
    /// <paramref name="topic"/>, from the beginning; fails after <paramref name="timeout"/> with how many came.</summary>
    public static List<ReadRecord> ReadAll(string bootstrapServers, string topic, int partitions, int expected, TimeSpan timeout)
    {
        _ = TestProducer.NativeVersion;
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "confluent-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
            FetchWaitMaxMs = 10,
            QueuedMinMessages = 100_000,
        };
        config.Set("fetch.queue.backoff.ms", "10");
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var result = new List<ReadRecord>(expected);
        var deadline = DateTime.UtcNow + timeout;
        while (result.Count < expected)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Confluent's consumer read {result.Count} of {expected} records from '{topic}' within {timeout.TotalSeconds} s.");
            var message = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (message is null) continue;
            var headers = message.Message.Headers is { } hs
                ? hs.Select(h => (h.Key, (byte[]?)h.GetValueBytes())).ToList()
                : [];
            result.Add(new ReadRecord(message.Partition.Value, message.Offset.Value, message.Message.Key, message.Message.Value,
                message.Message.Timestamp.UnixTimestampMs, headers));
        }
        return result;
    }
}
