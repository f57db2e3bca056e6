using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Fetch responses the mock never sends: many batches per partition, mixed compression, a truncated tail,
/// and a batch that starts before the fetch offset.</summary>
public sealed class MultiBatchTests
{
    [Fact]
    public async Task Many_batches_per_partition_with_mixed_compression_and_a_truncated_tail_are_read_exactly_once()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, partitions: 2);
        byte[] B(long offset, CompressionCodec codec, string prefix) => Batch(offset, 3, prefix, codec);
        var tail0 = B(12, CompressionCodec.Zstd, "a");
        var tail1 = B(6, CompressionCodec.Gzip, "b");
        broker.FetchHandler = call => FakeFetch.Response(Topic, [.. call.Partitions.Select(p => (p.Partition, p.FetchOffset) switch
        {
            (0, 0) => FakeFetch.Partition(0, Concat(B(0, CompressionCodec.None, "a"), B(3, CompressionCodec.Gzip, "a"), B(6, CompressionCodec.Snappy, "a"),
                B(9, CompressionCodec.Lz4, "a"), Truncated(tail0, tail0.Length / 2)), highWatermark: 18),
            (0, 12) => FakeFetch.Partition(0, Concat(tail0, B(15, CompressionCodec.None, "a")), highWatermark: 18),
            (1, 0) => FakeFetch.Partition(1, Concat(B(0, CompressionCodec.Lz4, "b"), B(3, CompressionCodec.Zstd, "b"), Truncated(tail1, 20)), highWatermark: 9),
            (1, 6) => FakeFetch.Partition(1, tail1, highWatermark: 9),
            _ => FakeFetch.Partition(p.Partition, null, highWatermark: p.Partition == 0 ? 18 : 9),
        })]);
        await using var consumer = NewConsumer(broker, assign: [P0, P1]);

        var records = await ConsumeAsync(consumer, 27);

        AssertOffsets(records.Where(r => r.Partition == 0), Range(0, 18));
        AssertOffsets(records.Where(r => r.Partition == 1), Range(0, 9));
        Assert.Equal([.. Range(0, 18).Select(o => $"a{o}")], records.Where(r => r.Partition == 0).Select(r => r.Value));
        Assert.Equal([.. Range(0, 9).Select(o => $"b{o}")], records.Where(r => r.Partition == 1).Select(r => r.Value));
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(150)));
        // After the truncated tail each partition was asked again from the first offset it had not received whole.
        var asked = broker.Fetches.SelectMany(f => f.Topics[0].Partitions).Select(p => (p.Partition, p.FetchOffset)).Distinct().ToList();
        Assert.Contains((0, 12L), asked);
        Assert.Contains((1, 6L), asked);
        Assert.DoesNotContain(asked, a => a is (0, > 0 and < 12) or (1, > 0 and < 6));
    }

    [Fact]
    public async Task A_fetch_at_105_answered_with_the_batch_starting_at_100_skips_the_records_below_105()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Batch(100, 10, compression: CompressionCodec.Snappy), Batch(110, 5)));
        log.LogStartOffset = 105; // e.g. after DeleteRecords: the log start is inside a batch

        await using var consumer = NewConsumer(broker);
        var records = await ConsumeAsync(consumer, 10);

        AssertOffsets(records, Range(105, 115));
        Assert.Equal("v105", records[0].Value);
        var first = broker.Fetches[0].Topics[0].Partitions[0];
        Assert.Equal(105, first.FetchOffset);
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_seek_into_the_middle_of_a_compressed_batch_starts_at_the_sought_offset()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Concat(Batch(0, 10, compression: CompressionCodec.Lz4), Batch(10, 10, compression: CompressionCodec.Zstd)));
        await using var consumer = NewConsumer(broker);

        AssertOffsets(await ConsumeAsync(consumer, 20), Range(0, 20));
        consumer.Seek(P0, 13);
        var again = await ConsumeAsync(consumer, 7);

        AssertOffsets(again, Range(13, 20));
        Assert.Contains(broker.Fetches, f => f.Topics[0].Partitions[0].FetchOffset == 13);
    }
}
