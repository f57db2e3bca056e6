using System.Diagnostics.Metrics;
using System.Text;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>Each call of the contract table that needs no group, against the embedded cluster.</summary>
public sealed class ContractCallsTests
{
    [Theory]
    [InlineData(TestCompression.None)]
    [InlineData(TestCompression.Gzip)]
    [InlineData(TestCompression.Snappy)]
    [InlineData(TestCompression.Lz4)]
    [InlineData(TestCompression.Zstd)]
    public async Task Every_codec_headers_and_null_keys_and_values_arrive_as_sent(TestCompression codec)
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 2);
        var stamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var records = new List<TestRecord>();
        for (var i = 0; i < 200; i++)
        {
            records.Add(new TestRecord(i % 5 == 0 ? null : Encoding.UTF8.GetBytes($"key-{i}"), i % 7 == 0 ? null : i % 11 == 0 ? [] : Encoding.UTF8.GetBytes($"value-{i}"))
            {
                Partition = i % 2,
                Timestamp = stamp.AddMilliseconds(i),
                Headers = i % 3 == 0 ? [new("h1", Encoding.UTF8.GetBytes($"x{i}")), new("h-null", null), new("h1", [])] : null,
            });
        }
        using (var producer = cluster.CreateProducer(new TestProducerOptions { Compression = codec }))
            await producer.ProduceAsync("t", records, cts.Token);

        await using var consumer = new KafkaConsumer<byte[]?, byte[]?>(Options(cluster));
        consumer.Assign([new("t", 0), new("t", 1)]);
        var received = await ConsumeAsync(consumer, records.Count, cts.Token);

        var byPartition = received.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.ToList());
        for (var p = 0; p < 2; p++)
        {
            var expected = records.Where(r => r.Partition == p).ToList();
            var actual = byPartition[p];
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(i, actual[i].Offset);
                Assert.Equal(expected[i].Key, actual[i].Key);
                Assert.Equal(expected[i].Value, actual[i].Value);
                Assert.Equal(expected[i].Key?.Length ?? -1, actual[i].SerializedKeySize);
                Assert.Equal(expected[i].Value?.Length ?? -1, actual[i].SerializedValueSize);
                Assert.Equal(expected[i].Timestamp!.Value.ToUnixTimeMilliseconds(), actual[i].Timestamp);
                Assert.Equal(TimestampType.CreateTime, actual[i].TimestampType);
                var headers = expected[i].Headers ?? [];
                Assert.Equal(headers.Count, actual[i].Headers.Count);
                for (var h = 0; h < headers.Count; h++)
                {
                    Assert.Equal(headers[h].Key, actual[i].Headers[h].Key);
                    Assert.Equal(headers[h].Value is null, actual[i].Headers[h].IsValueNull);
                    Assert.Equal(headers[h].Value ?? [], actual[i].Headers[h].Value.ToArray());
                }
            }
        }
    }

    [Fact]
    public async Task Seek_position_pause_resume_and_highwater()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 2);
        var sent = await ProduceAsync(cluster, "t", 2, 200, cts.Token);
        var p0 = new TopicPartition("t", 0);
        var p1 = new TopicPartition("t", 1);

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Latest));
        Assert.Throws<InvalidOperationException>(() => consumer.Seek(p0, 1));
        consumer.Assign([p0, p1]);
        Assert.Null(consumer.Highwater(p0));
        Assert.Equal(100, await consumer.PositionAsync(p0, cts.Token)); // latest
        consumer.SeekToBeginning();
        Assert.Equal(0, await consumer.PositionAsync(p1, cts.Token));
        consumer.Seek(p0, 90);
        Assert.Equal(90, await consumer.PositionAsync(p0, cts.Token));
        consumer.Pause(p1);
        Assert.Equal(new HashSet<TopicPartition> { p1 }, consumer.Paused());

        var fromP0 = await ConsumeAsync(consumer, 10, cts.Token);
        Assert.All(fromP0, r => Assert.Equal(0, r.Partition));
        Assert.Equal(Enumerable.Range(90, 10).Select(i => (long)i), fromP0.Select(r => r.Offset));
        Assert.Equal(100, consumer.Highwater(p0));
        Assert.True((await consumer.PollAsync(TimeSpan.FromMilliseconds(300), cancellationToken: cts.Token)).IsEmpty, "A paused partition must not be returned.");

        consumer.Resume(p1);
        Assert.Empty(consumer.Paused());
        var fromP1 = await ConsumeAsync(consumer, 100, cts.Token);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), fromP1.Select(r => r.Offset));
        consumer.SeekToEnd(p1);
        Assert.Equal(100, await consumer.PositionAsync(p1, cts.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => consumer.Seek(p0, -1));
        Assert.Throws<InvalidOperationException>(() => consumer.Pause(new TopicPartition("other", 0)));
        Assert.Throws<InvalidOperationException>(() => consumer.Seek(new TopicPartition("t", 9), 0));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await consumer.PositionAsync(new TopicPartition("t", 9), cts.Token));
        _ = sent;
    }

    [Fact]
    public async Task Offsets_topics_and_partitions()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic("t", 3);
        cluster.CreateTopic("other", 1);
        await ProduceAsync(cluster, "t", 3, 300, cts.Token);
        cluster.DeleteRecords("t", 1, 40);
        var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition("t", p)).ToList();

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AllowAutoCreateTopics = false));
        var beginning = await consumer.BeginningOffsetsAsync(partitions, cts.Token);
        var end = await consumer.EndOffsetsAsync(partitions, cts.Token);
        Assert.Equal([0L, 40L, 0L], partitions.Select(p => beginning[p]));
        Assert.All(partitions, p => Assert.Equal(100, end[p]));

        // The mock answers -1 for any real timestamp (test-broker.md, limit 5): reported as "no such offset".
        var times = await consumer.OffsetsForTimesAsync(partitions.ToDictionary(p => p, _ => 1L), cts.Token);
        Assert.All(partitions, p => Assert.Null(times[p]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => consumer.OffsetsForTimesAsync(new Dictionary<TopicPartition, long> { [partitions[0]] = -5 }, cts.Token));

        Assert.Equal(new HashSet<int> { 0, 1, 2 }, await consumer.PartitionsForTopicAsync("t", cts.Token));
        Assert.Null(await consumer.PartitionsForTopicAsync("missing", cts.Token));
        var topics = await consumer.TopicsAsync(cts.Token);
        Assert.Contains("t", topics);
        Assert.Contains("other", topics);
        Assert.DoesNotContain("missing", topics);
        Assert.True(consumer.BootstrapConnected());
    }

    [Fact]
    public async Task Metrics_are_reported_in_the_dictionary_and_on_the_meter()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("m", 1);
        await ProduceAsync(cluster, "m", 1, 100, cts.Token);

        var measured = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "TypedKafka") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (measured) measured[i.Name] = v; });
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => { lock (measured) measured[i.Name] = v; });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (measured) measured[i.Name] = v; });
        listener.Start();

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster));
        consumer.Assign([new("m", 0)]);
        await ConsumeAsync(consumer, 50, cts.Token);
        var metrics = consumer.Metrics();
        var fetch = metrics["consumer-fetch-manager-metrics"];
        Assert.True(fetch["records-consumed-total"] >= 50);
        Assert.True(fetch["bytes-consumed-total"] > 0);
        Assert.True(fetch["records-consumed-rate"] > 0);
        Assert.True(fetch["fetch-total"] >= 1);
        Assert.True(metrics["consumer-metrics"]["connection-count"] >= 1);
        Assert.True(metrics["consumer-partition-metrics"].ContainsKey("m-0.records-lag"));

        listener.RecordObservableInstruments();
        lock (measured)
        {
            Assert.True(measured["typedkafka.consumer.records_consumed"] >= 50);
            Assert.True(measured.ContainsKey("typedkafka.consumer.connections"));
            Assert.True(measured.ContainsKey("typedkafka.consumer.records_lag"));
        }
    }

    [Fact]
    public async Task Construction_checks_and_closing()
    {
        var options = new ConsumerOptions { BootstrapServers = "127.0.0.1:1" };
        var e = Assert.Throws<ArgumentException>(() => new KafkaConsumer<string?, DateTime>(options));
        Assert.Contains("System.DateTime", e.Message);
        var bad = Assert.ThrowsAny<ArgumentException>(() => new KafkaConsumer<string?, string?>(new ConsumerOptions { FetchMinBytes = -1 }));
        Assert.Equal(nameof(ConsumerOptions.FetchMinBytes), bad.ParamName);

        var consumer = new KafkaConsumer<string?, string?>(options);
        await consumer.CloseAsync();
        await consumer.CloseAsync();
        await consumer.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => consumer.Assign([new("t", 0)]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await consumer.PollAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task Overlapping_polls_are_refused_and_cancellation_is_honoured()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 1);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster));
        consumer.Assign([new("t", 0)]);
        using var cts = new CancellationTokenSource();
        var first = consumer.PollAsync(TimeSpan.FromSeconds(30), cancellationToken: cts.Token).AsTask();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await consumer.PollAsync(TimeSpan.Zero));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True((await consumer.PollAsync(TimeSpan.Zero)).IsEmpty);
    }

    [Fact]
    public async Task A_bad_payload_throws_with_its_bytes_and_seeking_past_it_loses_nothing_else()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("n", 1);
        var values = Enumerable.Range(0, 50).Select(i => i == 20 ? "oops" : i.ToString()).ToList();
        await cluster.ProduceAsync("n", values.Select(v => TestRecord.Utf8(null, v)), cts.Token);

        await using var consumer = new KafkaConsumer<Ignore, int>(Options(cluster), Deserializers.Ignore, new TextIntDeserializer());
        var tp = new TopicPartition("n", 0);
        consumer.Assign([tp]);
        var received = new List<long>();
        RecordDeserializationException? failure = null;
        while (received.Count < 49)
        {
            try
            {
                foreach (var r in await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token))
                {
                    Assert.Equal(int.Parse(values[(int)r.Offset]), r.Value);
                    received.Add(r.Offset);
                }
            }
            catch (RecordDeserializationException e)
            {
                failure = e;
                Assert.Equal(20, await consumer.PositionAsync(tp, cts.Token));
                consumer.Seek(tp, e.Offset + 1);
            }
        }
        Assert.NotNull(failure);
        Assert.Equal(("n", 0, 20L, false), (failure!.Topic, failure.Partition, failure.Offset, failure.IsKey));
        Assert.Equal("oops", Encoding.UTF8.GetString(failure.RawValue!.Value.Span));
        Assert.Equal(Enumerable.Range(0, 50).Where(i => i != 20).Select(i => (long)i), received);
    }

    [Fact]
    public async Task The_span_batch_path_reads_every_record_and_rewind_rereads()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("s", 2);
        var sent = await ProduceAsync(cluster, "s", 2, 400, cts.Token);

        await using var consumer = new KafkaConsumer<Ignore, Ignore>(Options(cluster));
        consumer.Assign([new("s", 0), new("s", 1)]);
        var seen = new HashSet<(int, long)>();
        var rewound = false;
        while (seen.Count < sent.Count)
        {
            var batch = await consumer.PollBatchAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            if (batch is null) continue;
            while (batch.TryReadNext(out var record))
            {
                Assert.Equal(sent[(batch.Partition.Partition, record.Offset)], Encoding.UTF8.GetString(record.Value));
                if (!rewound && record.Offset == 7)
                {
                    rewound = true;
                    batch.Rewind(5);
                    continue;
                }
                Assert.True(seen.Add((batch.Partition.Partition, record.Offset)) || record.Offset is 5 or 6, $"Duplicate {record.Offset}");
            }
        }
        Assert.True(rewound);
        Assert.Equal(sent.Keys.ToHashSet(), seen);
        Assert.Equal(200, await consumer.PositionAsync(new("s", 0), cts.Token));
    }

    [Fact]
    public async Task ConsumeAsync_streams_records_and_ends_after_the_consumer_timeout()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("c", 1);
        var sent = await ProduceAsync(cluster, "c", 1, 30, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.ConsumerTimeout = TimeSpan.FromMilliseconds(700)));
        consumer.Assign([new("c", 0)]);
        var received = new List<ConsumerRecord<string?, string?>>();
        await foreach (var record in consumer.ConsumeAsync(cts.Token)) received.Add(record);
        AssertExactlyOnceInOrder(received, sent);
    }

    [Fact]
    public async Task No_offset_with_reset_none_throws_and_latest_reads_only_new_records()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("r", 1);
        await ProduceAsync(cluster, "r", 1, 10, cts.Token);
        var tp = new TopicPartition("r", 0);

        await using (var none = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.None)))
        {
            none.Assign([tp]);
            var e = await Assert.ThrowsAsync<NoOffsetForPartitionException>(async () => await none.PollAsync(TimeSpan.FromSeconds(10), cancellationToken: cts.Token));
            Assert.Contains(tp, e.Partitions);
            none.Seek(tp, 8);
            var records = await ConsumeAsync(none, 2, cts.Token);
            Assert.Equal([8L, 9L], records.Select(r => r.Offset));
        }

        await using var latest = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Latest));
        latest.Assign([tp]);
        Assert.Equal(10, await latest.PositionAsync(tp, cts.Token));
        var more = await ProduceAsync(cluster, "r", 1, 5, cts.Token, start: 10);
        var got = await ConsumeAsync(latest, 5, cts.Token);
        Assert.Equal(Enumerable.Range(10, 5).Select(i => (long)i), got.Select(r => r.Offset));
        _ = more;
    }

    [Fact]
    public async Task Transactions_commit_markers_are_skipped()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("tx", 1);
        using (var producer = cluster.CreateProducer(new TestProducerOptions { TransactionalId = "tx-1" }))
        {
            await producer.ProduceTransactionAsync("tx", [TestRecord.Utf8("a", "1"), TestRecord.Utf8("b", "2")], commit: true, cts.Token);
            await producer.ProduceTransactionAsync("tx", [TestRecord.Utf8("c", "3")], commit: true, cts.Token);
        }
        // The mock writes control batches with CRC 0 (test-broker.md), so CRC checking is off here; real brokers compute it.
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o =>
        {
            o.CheckCrcs = false;
            o.IsolationLevel = IsolationLevel.ReadCommitted;
        }));
        var tp = new TopicPartition("tx", 0);
        consumer.Assign([tp]);
        var records = await ConsumeAsync(consumer, 3, cts.Token);
        Assert.Equal(["1", "2", "3"], records.Select(r => r.Value));
        // Positions move past the final commit marker: nothing is left to read.
        var end = (await consumer.EndOffsetsAsync([tp], cts.Token))[tp];
        await Eventually.TrueAsync(async () =>
        {
            Assert.True((await consumer.PollAsync(TimeSpan.FromMilliseconds(50))).IsEmpty);
            return await consumer.PositionAsync(tp, cts.Token) == end;
        }, TimeSpan.FromSeconds(10), "the position to pass the last commit marker");
        Assert.Equal(end, await consumer.PositionAsync(tp, cts.Token));
    }

    private sealed class TextIntDeserializer : IDeserializer<int>
    {
        public int Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context) => int.Parse(Encoding.UTF8.GetString(data));
    }
}
