using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>ListOffsets with real answers (the mock answers -1 for every timestamp): OffsetsForTimesAsync,
/// BeginningOffsetsAsync/EndOffsetsAsync, and retries after errors and dropped connections.</summary>
public sealed class OffsetLookupTests
{
    private static KafkaConsumer<string?, string?> Unassigned(FakeKafkaBroker broker, Action<ConsumerOptions>? configure = null) =>
        new(Options(broker, configure));

    [Fact]
    public async Task OffsetsForTimes_returns_offset_timestamp_and_leader_epoch_and_null_for_no_offset()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, partitions: 3, leaderEpoch: 4);
        broker.ListOffsetsHandler = q => (q.Partition, q.Timestamp) switch
        {
            (0, 1_000) => new OffsetAnswer(42, 1_005, 3),
            (1, 2_000) => new OffsetAnswer(-1, -1, -1), // no record at or after the timestamp
            (2, 0) => new OffsetAnswer(0, 17, -1),      // a broker without epochs in its answer
            _ => new OffsetAnswer(-1, Error: ErrorCode.UnknownServerError),
        };
        await using var consumer = Unassigned(broker);
        var p2 = new TopicPartition(Topic, 2);

        var result = await consumer.OffsetsForTimesAsync(new Dictionary<TopicPartition, long> { [P0] = 1_000, [P1] = 2_000, [p2] = 0 });

        Assert.Equal(new OffsetAndTimestamp(42, 1_005, 3), result[P0]);
        Assert.Null(result[P1]);
        Assert.Equal(new OffsetAndTimestamp(0, 17, null), result[p2]);
        var request = broker.RequestsOf(ApiKey.ListOffsets).Single();
        Assert.Equal(7, request.Version);
        Assert.Equal(-1, request.ListOffsets.ReplicaId);
        Assert.Equal(0, request.ListOffsets.IsolationLevel);
        var partitions = request.ListOffsets.Topics.Single().Partitions.OrderBy(p => p.PartitionIndex).ToList();
        Assert.Equal([1_000L, 2_000L, 0L], partitions.Select(p => p.Timestamp));
        Assert.All(partitions, p => Assert.Equal(4, p.CurrentLeaderEpoch)); // KIP-320: from metadata
    }

    [Fact]
    public async Task Beginning_and_end_offsets_come_from_the_log_and_end_is_the_last_stable_offset_under_read_committed()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, partitions: 2);
        var log0 = broker.Cluster.Log(Topic, 0);
        log0.Append(Concat(Batch(10, 10), Batch(20, 5)));
        log0.LastStableOffset = 20;
        broker.Cluster.Log(Topic, 1).Append(Batch(0, 3));

        await using (var consumer = Unassigned(broker))
        {
            Assert.Equal(new Dictionary<TopicPartition, long> { [P0] = 10, [P1] = 0 }, await consumer.BeginningOffsetsAsync([P0, P1]));
            Assert.Equal(new Dictionary<TopicPartition, long> { [P0] = 25, [P1] = 3 }, await consumer.EndOffsetsAsync([P0, P1]));
        }
        await using (var committed = Unassigned(broker, o => o.IsolationLevel = IsolationLevel.ReadCommitted))
        {
            Assert.Equal(20, (await committed.EndOffsetsAsync([P0]))[P0]);
        }
        var requests = broker.RequestsOf(ApiKey.ListOffsets);
        Assert.Equal([-2L, -1L, -1L], requests.Select(r => r.ListOffsets.Topics[0].Partitions[0].Timestamp));
        Assert.Equal([(sbyte)0, (sbyte)0, (sbyte)1], requests.Select(r => r.ListOffsets.IsolationLevel));
    }

    [Fact]
    public async Task NOT_LEADER_OR_FOLLOWER_is_retried_after_a_metadata_refresh()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.ListOffsetsHandler = q => q.Call < 2 ? new OffsetAnswer(-1, Error: ErrorCode.NotLeaderOrFollower) : new OffsetAnswer(77, 1_234, 2);
        await using var consumer = Unassigned(broker);

        var result = await consumer.OffsetsForTimesAsync(new Dictionary<TopicPartition, long> { [P0] = 1_000 });

        Assert.Equal(new OffsetAndTimestamp(77, 1_234, 2), result[P0]);
        var lookups = broker.RequestsOf(ApiKey.ListOffsets);
        Assert.Equal(3, lookups.Count);
        // Between two attempts the consumer asked for fresh metadata (the leader may have moved).
        var metadata = broker.RequestsOf(ApiKey.Metadata).Select(m => m.Sequence).ToList();
        Assert.Contains(metadata, s => s > lookups[0].Sequence && s < lookups[1].Sequence);
        Assert.Contains(metadata, s => s > lookups[1].Sequence && s < lookups[2].Sequence);
    }

    [Fact]
    public async Task A_connection_dropped_instead_of_a_ListOffsets_answer_is_retried_on_a_new_connection()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(5, 5));
        var dropped = 0;
        broker.Intercept = r => r.Api == ApiKey.ListOffsets && Interlocked.Increment(ref dropped) == 1 ? Reply.DropConnection : null;
        await using var consumer = Unassigned(broker);

        var end = await consumer.EndOffsetsAsync([P0]);

        Assert.Equal(10, end[P0]);
        var lookups = broker.RequestsOf(ApiKey.ListOffsets);
        Assert.Equal(2, lookups.Count);
        Assert.NotEqual(lookups[0].ConnectionId, lookups[1].ConnectionId);
    }

    [Fact]
    public async Task A_negative_timestamp_is_rejected_before_anything_is_sent()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        await using var consumer = Unassigned(broker);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            consumer.OffsetsForTimesAsync(new Dictionary<TopicPartition, long> { [P0] = 1_000, [P1] = -1 }));

        Assert.Contains(P1.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Empty(broker.RequestsOf(ApiKey.ListOffsets));
    }

    [Fact]
    public async Task The_initial_position_comes_from_ListOffsets_with_its_leader_epoch()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, leaderEpoch: 6);
        broker.Cluster.Log(Topic).Append(Batch(30, 5, leaderEpoch: 6));
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.Latest);

        Assert.Equal(35, await consumer.PositionAsync(P0));
        var lookup = broker.RequestsOf(ApiKey.ListOffsets).Single();
        Assert.Equal(-1, lookup.ListOffsets.Topics[0].Partitions[0].Timestamp);
        Assert.Equal(6, lookup.ListOffsets.Topics[0].Partitions[0].CurrentLeaderEpoch);

        broker.Cluster.Log(Topic).Append(Batch(35, 2, leaderEpoch: 6));
        var records = await ConsumeAsync(consumer, 2);
        AssertOffsets(records, [35, 36]);
        Assert.All(records, r => Assert.Equal(6, r.LeaderEpoch));
    }
}
