using TypedKafka.Protocol;
using TypedKafka.Testing;
using Xunit.Abstractions;

namespace TypedKafka.Tests.Producing;

/// <summary>Idempotence under faults the broker injects: every record is read back exactly once, in produce order per
/// partition (each payload carries its sequence number).</summary>
public class ProducerFaultTests(ITestOutputHelper output)
{
    private const int Count = 30_000;
    private const int Partitions = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static ProducerOptions Options(KafkaTestCluster cluster) => new()
    {
        BootstrapServers = cluster.BootstrapServers,
        RetryBackoff = TimeSpan.FromMilliseconds(10),
        RetryBackoffMax = TimeSpan.FromMilliseconds(100),
        BatchSize = 4096, // many batches, so several are in flight per partition when a fault hits
    };

    /// <summary>Produces <see cref="Count"/> keyed records; once a fifth are acknowledged, runs <paramref name="fault"/>,
    /// and once two thirds are, <paramref name="heal"/>. Then reads everything back and checks it.</summary>
    private async Task RunAsync(string topic, Action<KafkaTestCluster> fault, Action<KafkaTestCluster>? heal = null,
        Func<ProducerOptions, ProducerOptions>? configure = null, Action<KafkaProducer<byte[], byte[]>>? check = null)
    {
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic(topic, Partitions);
        var options = Options(cluster);
        if (configure is not null) options = configure(options);
        await using (var producer = new KafkaProducer<byte[], byte[]>(options))
        {
            var window = new Queue<ValueTask<DeliveryResult>>();
            var acknowledged = 0;
            for (var i = 0; i < Count; i++)
            {
                window.Enqueue(producer.ProduceAsync(topic, Payload.Key(i, 97), Payload.Make(i)));
                if (window.Count >= 2_000)
                {
                    await window.Dequeue();
                    acknowledged++;
                    if (acknowledged == Count / 5) fault(cluster);
                    if (acknowledged == Count * 2 / 3) heal?.Invoke(cluster);
                }
            }
            while (window.Count > 0) await window.Dequeue();
            output.WriteLine($"retries {producer.Core.Metrics.RetriesTotal}, epoch {producer.Core.ProducerIdAndEpoch}, last retry error: {producer.Core.LastRetryError?.Message}");
            check?.Invoke(producer);
        }
        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, topic, Partitions, Count, Timeout);
        Payload.AssertExactlyOnceInOrder(read, Count);
    }

    [Fact]
    public Task No_duplicate_and_no_reordering_while_the_broker_answers_NOT_LEADER_OR_FOLLOWER_and_leaders_move() =>
        RunAsync("not-leader", cluster =>
        {
            cluster.PushRequestErrors(ApiKey.Produce, Enumerable.Repeat(ErrorCode.NotLeaderOrFollower, 8).ToArray());
            for (var p = 0; p < Partitions; p += 2) cluster.SetPartitionLeader("not-leader", p, cluster.Brokers.Keys.ElementAt((p / 2) % 3));
        }, check: producer => Assert.True(producer.Core.Metrics.RetriesTotal > 0, "the injected errors were retried"));

    [Fact]
    public Task No_duplicate_and_no_reordering_while_the_broker_answers_OUT_OF_ORDER_SEQUENCE_NUMBER() =>
        RunAsync("out-of-order", cluster => cluster.PushRequestErrors(ApiKey.Produce, Enumerable.Repeat(ErrorCode.OutOfOrderSequenceNumber, 12).ToArray()),
            check: producer => Assert.True(producer.Core.Metrics.RetriesTotal > 0, "the injected errors were retried"));

    [Fact]
    public Task No_duplicate_and_no_reordering_while_the_broker_drops_connections() =>
        RunAsync("dropped", cluster => cluster.PushRequestErrors(ApiKey.Produce, Enumerable.Repeat(KafkaTestCluster.ConnectionDrop, 6).ToArray()),
            configure: options =>
            {
                // One request per connection: when the mock drops a connection it also discards answers it had not sent
                // yet for requests it had written, and it deduplicates sequences only for transactional producers, so
                // their retries would be duplicates that a real broker drops by sequence (seen once in a loaded run).
                options.MaxInFlightRequestsPerConnection = 1;
                return options;
            },
            check: producer => Assert.True(producer.Core.Metrics.RetriesTotal > 0, "the lost requests were retried"));

    [Fact]
    public Task No_duplicate_and_no_reordering_with_a_slow_broker() =>
        RunAsync("slow", cluster =>
        {
            foreach (var id in cluster.Brokers.Keys) cluster.SetBrokerRtt(id, TimeSpan.FromMilliseconds(60));
        }, cluster =>
        {
            foreach (var id in cluster.Brokers.Keys) cluster.SetBrokerRtt(id, TimeSpan.Zero);
        });
}
