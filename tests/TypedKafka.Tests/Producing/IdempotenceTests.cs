using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

public class IdempotenceTests
{
    [Fact]
    public async Task A_second_OUT_OF_ORDER_SEQUENCE_NUMBER_for_the_oldest_batch_restarts_sequences_under_a_new_producer_id_and_the_record_is_written_once()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("bump", 1);
        await using var producer = new KafkaProducer<Null, byte[]>(new ProducerOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            RetryBackoff = TimeSpan.FromMilliseconds(10),
        });
        await producer.ProduceAsync("bump", default, Payload.Make(0));
        var before = producer.Core.ProducerIdAndEpoch;

        // Twice for the same (oldest) batch: the broker lost this producer's sequence (KIP-360). The mock refuses to bump
        // the epoch of a non-transactional producer (INVALID_PRODUCER_ID_MAPPING), so a new producer id is taken.
        cluster.PushRequestErrors(ApiKey.Produce, ErrorCode.OutOfOrderSequenceNumber, ErrorCode.OutOfOrderSequenceNumber);
        await producer.ProduceAsync("bump", default, Payload.Make(1));
        await producer.ProduceAsync("bump", default, Payload.Make(2));

        var after = producer.Core.ProducerIdAndEpoch;
        Assert.True(after != before, $"producer id and epoch {before} did not change");
        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, "bump", 1, 3, TimeSpan.FromSeconds(30));
        Payload.AssertExactlyOnceInOrder(read, 3);
    }

    [Fact]
    public async Task Records_that_cannot_be_sent_within_DeliveryTimeout_fail_with_KafkaTimeoutException_naming_it()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("late", 1);
        await using var producer = new KafkaProducer<Null, byte[]>(new ProducerOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            RequestTimeout = TimeSpan.FromMilliseconds(500),
            DeliveryTimeout = TimeSpan.FromMilliseconds(800),
            RetryBackoff = TimeSpan.FromMilliseconds(10),
        });
        await producer.ProduceAsync("late", default, [0]);
        cluster.SetBrokerDown(cluster.Brokers.Keys.Single());
        var error = await Assert.ThrowsAsync<KafkaTimeoutException>(() => producer.ProduceAsync("late", default, [1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("DeliveryTimeout", error.Message);
        Assert.Contains("late-0", error.Message);
    }
}
