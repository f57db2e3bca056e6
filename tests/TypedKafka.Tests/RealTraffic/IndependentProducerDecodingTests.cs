using System.Text;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.RealTraffic;

/// <summary>
/// Bytes written by an independent client (Confluent.Kafka / librdkafka) through the embedded broker, read back with
/// TypedKafka's connection, Fetch codec and record reader, and compared field by field with what was sent.
/// </summary>
public sealed class IndependentProducerDecodingTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(TestCompression.None, (short)-1)]
    [InlineData(TestCompression.Gzip, (short)-1)]
    [InlineData(TestCompression.Snappy, (short)-1)]
    [InlineData(TestCompression.Lz4, (short)-1)]
    [InlineData(TestCompression.Zstd, (short)-1)]
    [InlineData(TestCompression.None, (short)4)]
    [InlineData(TestCompression.Lz4, (short)4)]
    [InlineData(TestCompression.Gzip, (short)12)]
    [InlineData(TestCompression.Zstd, (short)12)]
    public async Task Every_field_written_by_librdkafka_reads_back_identically(TestCompression codec, short maxFetchVersion)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        const string topic = "decode";
        cluster.CreateTopic(topic, 1);
        var sent = MakeRecords(50);

        IReadOnlyList<ProducedRecord> produced;
        using (var producer = cluster.CreateProducer(new TestProducerOptions { Compression = codec, Linger = TimeSpan.FromMilliseconds(20) }))
            produced = await producer.ProduceAsync(topic, sent, cts.Token);

        var (records, fetchVersion) = await PartitionReader.ReadAllAsync(cluster, topic, maxFetchVersion < 0 ? null : maxFetchVersion, cts.Token);
        if (maxFetchVersion >= 0) Assert.Equal(maxFetchVersion, fetchVersion);
        else Assert.True(fetchVersion >= 13, $"Expected a topic-id Fetch version against librdkafka's mock, negotiated v{fetchVersion}.");

        Assert.Equal(sent.Count, records.Count);
        var byOffset = records.ToDictionary(r => r.Offset);
        for (var i = 0; i < sent.Count; i++)
        {
            var expected = sent[i];
            var offset = produced[i].Offset;
            Assert.True(byOffset.TryGetValue(offset, out var actual), $"Record {i} (offset {offset}) was not read.");
            var what = $"record {i} at offset {offset} ({codec}, Fetch v{fetchVersion})";
            AssertBytes(expected.Key, actual!.Key, what + " key");
            AssertBytes(expected.Value, actual.Value, what + " value");
            Assert.Equal(expected.Timestamp!.Value.ToUnixTimeMilliseconds(), actual.Timestamp);
            Assert.Equal(TimestampType.CreateTime, actual.TimestampType);
            Assert.Equal((CompressionCodec)(int)codec, actual.Compression);
            Assert.False(actual.IsTransactional);
            Assert.False(actual.BatchIsControl);
            Assert.Equal(ControlRecordType.None, actual.ControlType);
            var expectedHeaders = expected.Headers ?? [];
            Assert.Equal(expectedHeaders.Count, actual.Headers.Count);
            for (var h = 0; h < expectedHeaders.Count; h++)
            {
                Assert.Equal(expectedHeaders[h].Key, actual.Headers[h].Key);
                AssertBytes(expectedHeaders[h].Value, actual.Headers[h].Value, $"{what} header {h}");
            }
        }
        Assert.Equal(Enumerable.Range(0, sent.Count).Select(i => (long)i), records.Select(r => r.Offset));
    }

    [Fact]
    public async Task Committed_and_aborted_transactions_end_with_control_batches()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        const string topic = "transactions";
        cluster.CreateTopic(topic, 1);

        IReadOnlyList<ProducedRecord> committed, aborted;
        using (var producer = cluster.CreateProducer(new TestProducerOptions { TransactionalId = "tx", Compression = TestCompression.Lz4 }))
        {
            committed = await producer.ProduceTransactionAsync(topic, [TestRecord.Utf8("k1", "committed-1"), TestRecord.Utf8("k2", "committed-2")], commit: true, cts.Token);
            aborted = await producer.ProduceTransactionAsync(topic, [TestRecord.Utf8("k3", "aborted-1")], commit: false, cts.Token);
        }

        // librdkafka's mock writes its transaction markers with a zero CRC, so CRCs cannot be checked here.
        var (records, _) = await PartitionReader.ReadAllAsync(cluster, topic, null, cts.Token, checkCrcs: false);

        var data = records.Where(r => !r.BatchIsControl).ToList();
        var control = records.Where(r => r.BatchIsControl).ToList();
        Assert.Equal(["committed-1", "committed-2", "aborted-1"], data.Select(r => Encoding.UTF8.GetString(r.Value!)));
        Assert.Equal(committed.Select(p => p.Offset).Concat(aborted.Select(p => p.Offset)), data.Select(r => r.Offset));
        Assert.All(data, r => Assert.True(r.IsTransactional));
        Assert.All(data, r => Assert.Equal(ControlRecordType.None, r.ControlType));

        Assert.Equal([ControlRecordType.Commit, ControlRecordType.Abort], control.Select(r => r.ControlType));
        Assert.All(control, r => Assert.True(r.IsTransactional));
        // Each marker follows its transaction's data.
        Assert.True(control[0].Offset > committed.Max(p => p.Offset) && control[0].Offset < aborted.Min(p => p.Offset));
        Assert.True(control[1].Offset > aborted.Max(p => p.Offset));
    }

    private static List<TestRecord> MakeRecords(int count)
    {
        var baseTime = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var list = new List<TestRecord>(count);
        for (var i = 0; i < count; i++)
        {
            byte[]? key = (i % 7) switch
            {
                0 => null,
                1 => [],
                _ => Encoding.UTF8.GetBytes($"key-{i}-ключ-🔑"),
            };
            byte[]? value = (i % 5) switch
            {
                0 => null,
                1 => [],
                2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"värde-{i}-値-😀 ", 40))),
                _ => Encoding.UTF8.GetBytes($"value {i} café naïve 日本語"),
            };
            List<KeyValuePair<string, byte[]?>>? headers = (i % 4) switch
            {
                0 => null,
                1 => [new("trace", Encoding.UTF8.GetBytes($"t-{i}"))],
                2 => [new("nullable", null), new("empty", []), new("ünïcødé-ключ", Encoding.UTF8.GetBytes("значение ✓"))],
                _ => [new("dup", [1]), new("dup", [2, 0, 255])],
            };
            list.Add(new TestRecord(key, value)
            {
                Partition = 0,
                Headers = headers,
                // Not monotonic on purpose: delta timestamps may be negative.
                Timestamp = baseTime.AddMilliseconds(i % 3 == 0 ? -i * 1000 : i * 37),
            });
        }
        return list;
    }

    private static void AssertBytes(byte[]? expected, byte[]? actual, string what)
    {
        if (expected is null)
        {
            Assert.True(actual is null, $"{what}: expected null, read {actual?.Length} bytes.");
            return;
        }
        Assert.True(actual is not null, $"{what}: expected {expected.Length} bytes, read null.");
        Assert.Equal(expected, actual);
    }
}
