using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using TypedKafka.Testing;
using Xunit.Abstractions;

namespace TypedKafka.Tests.Producing;

public class ProducerVolumeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_million_keyed_records_arrive_in_order_per_partition_with_exact_keys_values_headers_and_timestamps()
    {
        const int count = 1_000_000;
        const int partitions = 16; // the mock keeps 5 MiB per partition: 1M x ~70 B over 16 is ~4.4 MiB each
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic("million", partitions);
        var started = Stopwatch.StartNew();
        await using (var producer = new KafkaProducer<byte[], byte[]>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers }))
        {
            var window = new Queue<ValueTask<DeliveryResult>>();
            for (var i = 0; i < count; i++)
            {
                var header = new Header("i", BitConverter.GetBytes(i));
                window.Enqueue(producer.ProduceAsync("million", Key(i), Payload.Make(i), [header], timestamp: Timestamp(i)));
                if (window.Count >= 50_000) await window.Dequeue();
            }
            while (window.Count > 0) await window.Dequeue();
        }
        var produced = started.Elapsed;

        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, "million", partitions, count, TimeSpan.FromSeconds(120));
        output.WriteLine($"produced {count} in {produced.TotalSeconds:0.0} s, read back in {(started.Elapsed - produced).TotalSeconds:0.0} s");
        Payload.AssertExactlyOnceInOrder(read, count);
        foreach (var record in read)
        {
            var i = (int)Payload.Sequence(record.Value!);
            Assert.Equal(Key(i), record.Key);
            Assert.Equal(Payload.Make(i), record.Value);
            Assert.Equal(Timestamp(i), record.Timestamp);
            var (key, value) = Assert.Single(record.Headers);
            Assert.Equal("i", key);
            Assert.Equal(i, BitConverter.ToInt32(value!));
        }
    }

    private static byte[] Key(int i)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, i % 10_007);
        return key;
    }

    private static long Timestamp(int i) => 1_700_000_000_000 + i / 10;

    public static TheoryData<CompressionType> Codecs() => new(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd, CompressionType.None);

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Compressed_batches_read_back_by_Confluent_hold_every_record_in_order(CompressionType codec)
    {
        const int count = 20_000;
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("codec", 3);
        await using (var producer = new KafkaProducer<string, byte[]>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers, CompressionType = codec }))
        {
            var pending = new List<ValueTask<DeliveryResult>>(count);
            for (var i = 0; i < count; i++)
                pending.Add(producer.ProduceAsync("codec", $"key-{i % 100}", Payload.Make(i, padding: 60), [new Header("codec", Encoding.UTF8.GetBytes(codec.ToString()))]));
            foreach (var p in pending) await p;
            output.WriteLine($"retries {producer.Core.Metrics.RetriesTotal}, last {producer.Core.LastRetryError}");
        }
        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, "codec", 3, count, TimeSpan.FromSeconds(60));
        Payload.AssertExactlyOnceInOrder(read, count);
        foreach (var record in read)
        {
            var i = Payload.Sequence(record.Value!);
            Assert.Equal($"key-{i % 100}", Encoding.UTF8.GetString(record.Key!));
            Assert.Equal(Payload.Make(i, padding: 60), record.Value);
            Assert.Equal(codec.ToString(), Encoding.UTF8.GetString(Assert.Single(record.Headers).Value!));
        }
    }
}
