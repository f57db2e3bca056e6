using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using TypedKafka.Protocol;
using TypedKafka.Testing.Native;
using KafkaErrorCode = TypedKafka.Protocol.ErrorCode;

namespace TypedKafka.Testing.Tests;

/// <summary>The native (C API) producer, read back with Confluent.Kafka's consumer as an independent reader.</summary>
public sealed class NativeProducerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_mapped_structs_match_the_64_bit_layout_of_rdkafka_h()
    {
        Assert.Equal(72, Unsafe.SizeOf<RdKafkaVu>()); // tag + 64-byte union at offset 8
        Assert.Equal(72, Marshal.SizeOf<RdKafkaMessage>());
        Assert.Equal(16, (int)Marshal.OffsetOf<RdKafkaMessage>(nameof(RdKafkaMessage.Partition)));
        Assert.Equal(56, (int)Marshal.OffsetOf<RdKafkaMessage>(nameof(RdKafkaMessage.Offset)));
        Assert.Equal(64, (int)Marshal.OffsetOf<RdKafkaMessage>(nameof(RdKafkaMessage.Opaque)));
    }

    [Fact]
    public async Task Keys_values_nulls_empties_headers_and_timestamps_round_trip()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-roundtrip", 1);
        using var producer = cluster.CreateNativeProducer();
        Assert.Equal(cluster.NativeVersion, producer.NativeVersion);
        Assert.Equal(cluster.NativeLibraryPath, producer.NativeLibraryPath);

        var stamp = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
        List<KeyValuePair<string, byte[]?>> headers = [new("h1", [1, 2]), new("h2", null), new("h3", []), new("h1", [3]), new("ünï", "x"u8.ToArray())];
        var produced = await producer.ProduceAsync("native-roundtrip",
            new TestRecord("k0"u8.ToArray(), "v0"u8.ToArray()) { Headers = headers, Timestamp = stamp },
            new TestRecord(null, [9]),
            new TestRecord([1], null) { Partition = 0 },
            new TestRecord([], []));

        Assert.Equal([0L, 1L, 2L, 3L], produced.Select(p => p.Offset));
        Assert.All(produced, p => Assert.Equal(("native-roundtrip", 0), (p.Topic, p.Partition)));

        var read = ReadBack(cluster, "native-roundtrip", 0, 4);
        Assert.Equal("k0"u8.ToArray(), read[0].Message.Key);
        Assert.Equal("v0"u8.ToArray(), read[0].Message.Value);
        Assert.Equal(stamp.ToUnixTimeMilliseconds(), read[0].Message.Timestamp.UnixTimestampMs);
        Assert.Equal(Confluent.Kafka.TimestampType.CreateTime, read[0].Message.Timestamp.Type);
        var readHeaders = read[0].Message.Headers.Select(h => (h.Key, h.GetValueBytes())).ToList();
        Assert.Equal(["h1", "h2", "h3", "h1", "ünï"], readHeaders.Select(h => h.Key));
        Assert.Equal([1, 2], readHeaders[0].Item2);
        Assert.Null(readHeaders[1].Item2);
        Assert.Equal([], readHeaders[2].Item2!);
        Assert.Equal([3], readHeaders[3].Item2);
        Assert.Equal("x"u8.ToArray(), readHeaders[4].Item2);

        Assert.Null(read[1].Message.Key);
        Assert.Equal([9], read[1].Message.Value);
        Assert.Empty(read[1].Message.Headers);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.InRange(read[1].Message.Timestamp.UnixTimestampMs, now - 60_000, now + 1_000); // stamped by the producer

        Assert.Equal([1], read[2].Message.Key);
        Assert.Null(read[2].Message.Value);

        Assert.Equal([], read[3].Message.Key!); // empty, not null
        Assert.Equal([], read[3].Message.Value!);
    }

    [Fact]
    public async Task Explicit_partitions_and_key_hashing_are_reported_in_the_order_given()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 3);
        cluster.CreateTopic("native-partitions", 3, replicationFactor: 2);
        using var producer = cluster.CreateNativeProducer();

        var records = Enumerable.Range(0, 30).Select(i => TestRecord.Utf8(null, $"v{i}", partition: i % 3)).ToList();
        var produced = await producer.ProduceAsync("native-partitions", records);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i % 3), produced.Select(p => p.Partition));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)(i / 3)), produced.Select(p => p.Offset));

        var keyed = await producer.ProduceAsync("native-partitions", Enumerable.Range(0, 10).Select(i => TestRecord.Utf8("same-key", $"k{i}")));
        Assert.Single(keyed.Select(p => p.Partition).Distinct());
        var partition = keyed[0].Partition;
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), keyed.Select(p => p.Offset));

        var read = ReadBack(cluster, "native-partitions", partition, 20);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v{partition + 3 * i}").Concat(Enumerable.Range(0, 10).Select(i => $"k{i}")),
            read.Select(r => Encoding.UTF8.GetString(r.Message.Value!)));
    }

    [Fact]
    public async Task Concurrent_calls_each_get_their_own_results()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-concurrent", 2);
        using var producer = cluster.CreateNativeProducer();
        var calls = Enumerable.Range(0, 8).Select(c => Task.Run(() => producer.ProduceAsync("native-concurrent",
            Enumerable.Range(0, 250).Select(i => TestRecord.Utf8($"c{c}", $"{c}-{i}", partition: c % 2))))).ToArray();
        var results = await Task.WhenAll(calls);

        for (var c = 0; c < results.Length; c++)
        {
            Assert.Equal(250, results[c].Count);
            Assert.All(results[c], r => Assert.Equal(c % 2, r.Partition));
            Assert.True(results[c].Zip(results[c].Skip(1)).All(pair => pair.First.Offset < pair.Second.Offset), "offsets of one call grow");
        }
        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), all.Where(r => r.Partition == 0).Select(r => r.Offset).Order());
    }

    [Fact]
    public async Task Produce_many_loads_every_record()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-many", 4);
        using var producer = cluster.CreateNativeProducer(new NativeProducerOptions { Compression = TestCompression.Lz4 });
        await producer.ProduceManyAsync("native-many", 50_000, i => new TestRecord(BitConverter.GetBytes(i), new byte[100]) { Partition = i % 4 });

        using var consumer = Consumer(cluster, "native-many-watermarks");
        var total = Enumerable.Range(0, 4).Sum(p => consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition("native-many", p), TimeSpan.FromSeconds(10)).High.Value);
        Assert.Equal(50_000, total);
    }

    [Theory]
    [InlineData(TestCompression.Gzip)]
    [InlineData(TestCompression.Snappy)]
    [InlineData(TestCompression.Lz4)]
    [InlineData(TestCompression.Zstd)]
    public async Task Compressed_batches_are_read_back(TestCompression compression)
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-compressed", 1);
        using var producer = cluster.CreateNativeProducer(new NativeProducerOptions { Compression = compression });
        await producer.ProduceAsync("native-compressed", Enumerable.Range(0, 50).Select(i => TestRecord.Utf8($"k{i}", new string('x', 200) + i)));
        var read = ReadBack(cluster, "native-compressed", 0, 50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => new string('x', 200) + i), read.Select(r => Encoding.UTF8.GetString(r.Message.Value!)));
    }

    [Fact]
    public async Task A_broker_error_fails_the_call_naming_the_topic_and_the_error()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-denied", 1);
        cluster.PushRequestErrors(ApiKey.Produce, KafkaErrorCode.TopicAuthorizationFailed);
        using var producer = cluster.CreateNativeProducer(new NativeProducerOptions { Idempotent = false });

        var error = await Assert.ThrowsAsync<NativeProduceException>(() => producer.ProduceAsync("native-denied", TestRecord.Utf8("k", "v", partition: 0)));
        Assert.Equal("native-denied", error.Topic);
        Assert.Equal(KafkaErrorCode.TopicAuthorizationFailed, error.Error);
        Assert.Equal("TOPIC_AUTHORIZATION_FAILED", error.ErrorName);
        Assert.Equal((0, 0, 1), (error.RecordIndex, error.Partition, error.FailedCount));
        Assert.Contains("'native-denied'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Topic authorization failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_to_a_broker_that_is_down_time_out_with_a_clear_error()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-unreachable", 1);
        cluster.SetBrokerDown(1);
        using var producer = cluster.CreateNativeProducer(new NativeProducerOptions { MessageTimeout = TimeSpan.FromSeconds(1), DisposeFlushTimeout = TimeSpan.Zero });

        var error = await Assert.ThrowsAsync<NativeProduceException>(() =>
            producer.ProduceAsync("native-unreachable", [TestRecord.Utf8("a", "1"), TestRecord.Utf8("b", "2")]).WaitAsync(Timeout));
        Assert.Equal("native-unreachable", error.Topic);
        Assert.Equal((KafkaErrorCode)(-192), error.Error); // RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
        Assert.Equal("_MSG_TIMED_OUT", error.ErrorName);
        Assert.Equal(2, error.FailedCount);
        Assert.Equal(0, error.RecordIndex);
        Assert.Contains("'native-unreachable'", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 record(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_topic_fails_when_auto_creation_is_off()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        var options = new NativeProducerOptions { MessageTimeout = TimeSpan.FromSeconds(5) };
        options.Extra["allow.auto.create.topics"] = "false";
        options.Extra["topic.metadata.propagation.max.ms"] = "200";
        using var producer = cluster.CreateNativeProducer(options);

        var error = await Assert.ThrowsAsync<NativeProduceException>(() => producer.ProduceAsync("native-missing", TestRecord.Utf8("k", "v")).WaitAsync(Timeout));
        Assert.Equal("native-missing", error.Topic);
        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, error.Error); // from Metadata, not from a timeout
        Assert.Contains("'native-missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partition_that_does_not_exist_is_refused_naming_the_topic()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-small", 1);
        using var producer = cluster.CreateNativeProducer();
        await producer.ProduceAsync("native-small", TestRecord.Utf8("k", "v", partition: 0)); // metadata is known now

        var error = await Assert.ThrowsAsync<NativeProduceException>(() => producer.ProduceAsync("native-small", TestRecord.Utf8("k", "v", partition: 5)));
        Assert.Equal("native-small", error.Topic);
        Assert.Equal((KafkaErrorCode)(-190), error.Error); // RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION
        Assert.Contains("'native-small'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_arguments_and_use_after_dispose_are_clear_errors()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-args", 1);
        var producer = cluster.CreateNativeProducer();
        await Assert.ThrowsAsync<ArgumentException>(() => producer.ProduceAsync("", TestRecord.Utf8("k", "v")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => producer.ProduceAsync("native-args", TestRecord.Utf8("ok", "v"), TestRecord.Utf8("k", "v", partition: -2)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            producer.ProduceAsync("native-args", new TestRecord(null, [1]) { Timestamp = DateTimeOffset.UnixEpoch }));
        var badSetting = new NativeProducerOptions();
        badSetting.Extra["no.such.setting"] = "1";
        Assert.Contains("no.such.setting", Assert.Throws<InvalidOperationException>(() => cluster.CreateNativeProducer(badSetting)).Message, StringComparison.Ordinal);

        Assert.Equal(0, (await producer.ProduceAsync("native-args", TestRecord.Utf8("k", "v")))[0].Offset); // nothing was written before

        producer.Dispose();
        producer.Dispose(); // idempotent
        await Assert.ThrowsAsync<ObjectDisposedException>(() => producer.ProduceAsync("native-args", TestRecord.Utf8("k", "v")));
    }

    [Fact]
    public async Task Log_lines_reach_the_handler_when_one_is_set()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        var lines = new ConcurrentQueue<(int Level, string Facility, string Text)>();
        var options = new NativeProducerOptions { LogHandler = (level, facility, text) => lines.Enqueue((level, facility, text)) };
        options.Extra["debug"] = "conf";
        using (cluster.CreateNativeProducer(options))
        {
        }
        Assert.Contains(lines, l => l.Level == 7 && l.Facility == "CONF" && l.Text.Contains("client.id = typedkafka-native-producer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_disposed_producer_is_collected_so_no_gc_handle_or_thread_keeps_it()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("native-collect", 1);
        var weak = await ProduceAndDispose(cluster);
        for (var i = 0; i < 10 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(10);
        }
        Assert.False(weak.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> ProduceAndDispose(KafkaTestCluster cluster)
    {
        var producer = cluster.CreateNativeProducer();
        await producer.ProduceAsync("native-collect", TestRecord.Utf8("k", "v"));
        producer.Dispose();
        return new WeakReference(producer);
    }

    private static List<ConsumeResult<byte[]?, byte[]?>> ReadBack(KafkaTestCluster cluster, string topic, int partition, int count)
    {
        using var consumer = Consumer(cluster, "native-reader-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(new TopicPartitionOffset(topic, partition, 0));
        var read = new List<ConsumeResult<byte[]?, byte[]?>>();
        while (read.Count < count)
        {
            var result = consumer.Consume(Timeout) ?? throw new TimeoutException($"Read {read.Count} of {count} records of {topic}-{partition}.");
            read.Add(result);
        }
        Assert.All(read, r => Assert.Equal(partition, r.Partition.Value));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), read.Select(r => r.Offset.Value));
        return read;
    }

    private static IConsumer<byte[]?, byte[]?> Consumer(KafkaTestCluster cluster, string group)
    {
        _ = TestProducer.NativeVersion; // binds Confluent.Kafka to the cluster's librdkafka
        return new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
    }
}
