using System.Text;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

public class PartitionerTests
{
    [Fact]
    public async Task Ten_thousand_keys_go_to_the_partition_Confluent_murmur2_random_picks()
    {
        const int keys = 10_000;
        const int partitions = 7;
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("ours", partitions);
        cluster.CreateTopic("theirs", partitions);
        var names = Enumerable.Range(0, keys).Select(i => $"customer-{i * 7919}-{(char)('a' + i % 26)}").ToList();

        List<DeliveryResult> ours = [];
        await using (var producer = new KafkaProducer<string, byte[]>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers }))
        {
            var pending = names.Select(k => producer.ProduceAsync("ours", k, [1])).ToList();
            foreach (var p in pending) ours.Add(await p);
        }

        var options = new TestProducerOptions();
        options.Extra["partitioner"] = "murmur2_random";
        using var confluent = cluster.CreateProducer(options);
        var theirs = await confluent.ProduceAsync("theirs", names.Select(k => new TestRecord(Encoding.UTF8.GetBytes(k), [1])));

        for (var i = 0; i < keys; i++)
            Assert.True(theirs[i].Partition == ours[i].Partition, $"key '{names[i]}': Confluent chose {theirs[i].Partition}, TypedKafka {ours[i].Partition}");
        Assert.Equal(partitions, ours.Select(r => r.Partition).Distinct().Count());
    }

    [Fact]
    public async Task Null_keys_stick_to_one_partition_per_batch_and_spread_over_batches()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("sticky", 8);
        // A long linger: only FlushAsync closes a batch, so a slow moment between two records cannot split a round.
        await using var producer = new KafkaProducer<Null, byte[]>(new ProducerOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            BatchSize = 1024,
            Linger = TimeSpan.FromMinutes(1),
            DeliveryTimeout = TimeSpan.FromMinutes(5),
        });
        var results = new List<DeliveryResult>();
        for (var round = 0; round < 200; round++)
        {
            // 10 x ~30 B fit one 1 KiB batch; they are produced together, so they share the sticky partition.
            var pending = Enumerable.Range(0, 10).Select(_ => producer.ProduceAsync("sticky", default, new byte[20])).ToList();
            await producer.FlushAsync();
            var batch = new List<DeliveryResult>();
            foreach (var p in pending) batch.Add(await p);
            Assert.Single(batch.Select(r => r.Partition).Distinct());
            results.AddRange(batch);
        }
        Assert.True(results.Select(r => r.Partition).Distinct().Count() >= 4, "null keys spread over partitions across batches");
    }
}
