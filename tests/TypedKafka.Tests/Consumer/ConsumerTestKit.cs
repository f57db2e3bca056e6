using TypedKafka.Testing;

namespace TypedKafka.Tests.Consumer;

/// <summary>Shared helpers for consumer integration tests: options for the embedded cluster and draining until a
/// condition holds (bounded by a deadline, never by sleeping).</summary>
internal static class ConsumerTestKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static ConsumerOptions Options(KafkaTestCluster cluster, Action<ConsumerOptions>? configure = null)
    {
        var options = new ConsumerOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxWait = TimeSpan.FromMilliseconds(100),
            RetryBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
            RequestTimeout = TimeSpan.FromSeconds(10),
            ConnectionSetupTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Polls until <paramref name="count"/> records arrived (more is a failure the caller checks), or throws on the deadline.</summary>
    public static async Task<List<ConsumerRecord<TKey, TValue>>> ConsumeAsync<TKey, TValue>(
        KafkaConsumer<TKey, TValue> consumer, int count, CancellationToken cancellationToken, Func<ConsumerRecord<TKey, TValue>, Task>? onRecord = null)
    {
        var received = new List<ConsumerRecord<TKey, TValue>>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        while (received.Count < count)
        {
            if (deadline.IsCancellationRequested)
                throw new TimeoutException($"Received {received.Count} of {count} records within {Deadline.TotalSeconds} s.");
            var records = await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cancellationToken);
            foreach (var record in records)
            {
                received.Add(record);
                if (onRecord is not null) await onRecord(record);
            }
        }
        return received;
    }

    /// <summary>Each partition's offsets arrive exactly once and in increasing order, and the values match what was sent.</summary>
    public static void AssertExactlyOnceInOrder<TKey>(IReadOnlyList<ConsumerRecord<TKey, string?>> received, IReadOnlyDictionary<(int Partition, long Offset), string> sent)
    {
        foreach (var group in received.GroupBy(r => r.Partition))
        {
            var offsets = group.Select(r => r.Offset).ToList();
            for (var i = 1; i < offsets.Count; i++)
                Assert.True(offsets[i] > offsets[i - 1], $"Partition {group.Key}: offset {offsets[i]} after {offsets[i - 1]} (duplicate or out of order).");
        }
        foreach (var record in received)
        {
            Assert.True(sent.TryGetValue((record.Partition, record.Offset), out var value), $"Unexpected record {record}.");
            Assert.Equal(value, record.Value);
        }
        var missing = sent.Keys.Except(received.Select(r => (r.Partition, r.Offset))).Take(5).ToList();
        Assert.True(missing.Count == 0, $"Missing records, e.g. {string.Join(", ", missing)}.");
    }

    /// <summary>Produces <paramref name="count"/> values "v{i}" spread over the partitions, returning (partition, offset) → value.</summary>
    public static async Task<Dictionary<(int Partition, long Offset), string>> ProduceAsync(
        KafkaTestCluster cluster, string topic, int partitions, int count, CancellationToken cancellationToken, TestProducerOptions? options = null, int start = 0)
    {
        using var producer = cluster.CreateProducer(options ?? new TestProducerOptions());
        var records = Enumerable.Range(start, count).Select(i => TestRecord.Utf8($"k{i}", $"v{i}", i % partitions)).ToList();
        var produced = await producer.ProduceAsync(topic, records, cancellationToken);
        var sent = new Dictionary<(int, long), string>();
        for (var i = 0; i < records.Count; i++) sent[(produced[i].Partition, produced[i].Offset)] = $"v{i + start}";
        return sent;
    }
}
