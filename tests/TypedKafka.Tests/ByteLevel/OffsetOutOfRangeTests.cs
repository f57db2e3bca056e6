using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>OFFSET_OUT_OF_RANGE in a Fetch answer: the reset strategy asks ListOffsets for the earliest or latest offset,
/// and with None the poll throws.</summary>
public sealed class OffsetOutOfRangeTests
{
    private static FakeKafkaBroker LogFrom100()
    {
        var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(100, 5)); // offsets below 100 were deleted by retention
        return broker;
    }

    [Fact]
    public async Task Earliest_resets_to_the_log_start()
    {
        await using var broker = LogFrom100();
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.Earliest);
        consumer.Seek(P0, 5);

        var records = await ConsumeAsync(consumer, 5);

        AssertOffsets(records, Range(100, 105));
        var fetchAt5 = broker.RequestsOf(ApiKey.Fetch).First(r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 5);
        var reset = broker.RequestsOf(ApiKey.ListOffsets).Last();
        Assert.True(reset.Sequence > fetchAt5.Sequence, "ListOffsets was asked after the out-of-range answer");
        Assert.Equal(-2, reset.ListOffsets.Topics[0].Partitions[0].Timestamp);
    }

    [Fact]
    public async Task Latest_resets_to_the_log_end()
    {
        await using var broker = LogFrom100();
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.Latest);
        consumer.Seek(P0, 500); // past the end

        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 105, "a fetch at the log end");
        broker.Cluster.Log(Topic).Append(Batch(105, 2));
        var records = await ConsumeAsync(consumer, 2);

        AssertOffsets(records, [105, 106]);
        var fetchAt500 = broker.RequestsOf(ApiKey.Fetch).First(r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 500);
        Assert.Contains(broker.RequestsOf(ApiKey.ListOffsets), r => r.Sequence > fetchAt500.Sequence && r.ListOffsets.Topics[0].Partitions[0].Timestamp == -1);
    }

    [Fact]
    public async Task None_throws_OffsetOutOfRangeException_from_PollAsync_until_a_seek()
    {
        await using var broker = LogFrom100();
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.None);
        consumer.Seek(P0, 5);

        var (before, error) = await ConsumeUntilErrorAsync(consumer);

        Assert.Empty(before);
        var outOfRange = Assert.IsType<OffsetOutOfRangeException>(error);
        Assert.Equal(5, outOfRange.Offsets[P0]);
        Assert.Empty(broker.RequestsOf(ApiKey.ListOffsets));
        await Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await consumer.PollAsync(TimeSpan.FromMilliseconds(100)));

        consumer.Seek(P0, 102);
        AssertOffsets(await ConsumeAsync(consumer, 3), [102, 103, 104]);
    }
}
