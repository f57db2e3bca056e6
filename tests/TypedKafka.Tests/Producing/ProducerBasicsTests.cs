using System.Text;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

public class ProducerBasicsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const long MockLogAppendTime = 1234;

    [Fact]
    public async Task Records_read_back_by_Confluent_have_the_keys_values_headers_timestamps_and_offsets_the_producer_reported()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic("basics", 4);
        await using var producer = new KafkaProducer<string, byte[]>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers });
        var pending = new List<ValueTask<DeliveryResult>>();
        for (var i = 0; i < 1000; i++)
        {
            var headers = new[] { new Header("n", Encoding.UTF8.GetBytes(i.ToString())), new Header("null", default) { IsValueNull = true } };
            pending.Add(producer.ProduceAsync("basics", $"key-{i}", Encoding.UTF8.GetBytes($"value-{i}"), headers, timestamp: 1_700_000_000_000 + i));
        }
        var results = new List<DeliveryResult>();
        foreach (var p in pending) results.Add(await p);

        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, "basics", 4, 1000, Timeout);
        var byPosition = read.ToDictionary(r => (r.Partition, r.Offset));
        for (var i = 0; i < 1000; i++)
        {
            var result = results[i];
            Assert.Equal("basics", result.Topic);
            // librdkafka's mock answers every Produce with LogAppendTimeMs 1234 (a real broker sends -1 for CreateTime
            // topics); the producer reports the broker's log-append time when there is one, as the Java client does.
            Assert.Contains(result.Timestamp, new[] { 1_700_000_000_000 + i, MockLogAppendTime });
            var record = byPosition[(result.Partition, result.Offset)];
            Assert.Equal($"key-{i}", Encoding.UTF8.GetString(record.Key!));
            Assert.Equal($"value-{i}", Encoding.UTF8.GetString(record.Value!));
            Assert.Equal(1_700_000_000_000 + i, record.Timestamp);
            Assert.Equal(2, record.Headers.Count);
            Assert.Equal("n", record.Headers[0].Key);
            Assert.Equal(i.ToString(), Encoding.UTF8.GetString(record.Headers[0].Value!));
            Assert.Equal("null", record.Headers[1].Key);
            Assert.Null(record.Headers[1].Value);
        }
    }
}
