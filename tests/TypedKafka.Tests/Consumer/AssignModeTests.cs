using System.Text;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>KafkaConsumer in assign mode against the embedded cluster, with an independent producer writing the data.</summary>
public sealed class AssignModeTests
{
    [Fact]
    public async Task Assigned_partitions_are_read_exactly_once_in_order()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic("orders", 6);
        var sent = await ProduceAsync(cluster, "orders", 6, 3000, cts.Token);

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster));
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartition("orders", p)));
        var received = await ConsumeAsync(consumer, sent.Count, cts.Token);

        Assert.Equal(sent.Count, received.Count);
        AssertExactlyOnceInOrder(received, sent);
        Assert.All(received, r => Assert.Equal("k" + r.Value![1..], r.Key));
        Assert.Equal(6, consumer.Assignment.Count);
        for (var p = 0; p < 6; p++)
        {
            var tp = new TopicPartition("orders", p);
            Assert.Equal(500, await consumer.PositionAsync(tp, cts.Token));
            Assert.Equal(500, consumer.Highwater(tp));
        }
    }
}
