using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Leader epochs (KIP-320): CurrentLeaderEpoch from metadata, LastFetchedEpoch from the batches, fencing, and
/// log truncation reported through DivergingEpoch (Fetch v12+).</summary>
public sealed class LeaderEpochTests
{
    private static FetchResponse.PartitionData Partition(FetchCall call) => call.PartitionFromLog(call.Single);

    [Fact]
    public async Task Fetch_carries_the_current_leader_epoch_from_metadata_and_the_epoch_of_the_last_batch()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, leaderEpoch: 5);
        broker.Cluster.Log(Topic).Append(Concat(Batch(0, 3, leaderEpoch: 4), Batch(3, 2, leaderEpoch: 5)));
        await using var consumer = NewConsumer(broker);

        var records = await ConsumeAsync(consumer, 5);
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 5, "a fetch at offset 5");

        Assert.Equal([4, 4, 4, 5, 5], records.Select(r => r.LeaderEpoch));
        var fetches = broker.Fetches.Select(f => f.Topics[0].Partitions[0]).ToList();
        Assert.All(fetches, p => Assert.Equal(5, p.CurrentLeaderEpoch));
        Assert.Equal(5, fetches.First(p => p.FetchOffset == 5).LastFetchedEpoch);
    }

    [Fact]
    public async Task FENCED_LEADER_EPOCH_refreshes_metadata_and_the_fetch_is_retried_with_the_new_epoch()
    {
        await using var broker = new FakeKafkaBroker();
        var partition = broker.Cluster.AddTopic(Topic, leaderEpoch: 5).Partitions[0];
        var log = broker.Cluster.Log(Topic);
        log.Append(Batch(0, 3, leaderEpoch: 5));
        var fenced = 0;
        broker.FetchHandler = call =>
        {
            var data = Partition(call);
            if (data.ErrorCode == (short)ErrorCode.FencedLeaderEpoch) Interlocked.Increment(ref fenced);
            return call.FromLog(_ => data);
        };
        await using var consumer = NewConsumer(broker);
        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);
        var metadataBefore = broker.RequestsOf(ApiKey.Metadata).Count;

        // A leader election: the broker is now at epoch 6; the consumer's metadata still says 5.
        partition.LeaderEpoch = 6;
        log.Append(Batch(3, 3, leaderEpoch: 6));
        var records = await ConsumeAsync(consumer, 3);

        AssertOffsets(records, [3, 4, 5]);
        Assert.All(records, r => Assert.Equal(6, r.LeaderEpoch));
        Assert.True(Volatile.Read(ref fenced) >= 1, "the broker fenced a fetch");
        Assert.True(broker.RequestsOf(ApiKey.Metadata).Count > metadataBefore, "metadata was refreshed after the fencing");
        var firstFenced = broker.RequestsOf(ApiKey.Fetch).First(r => r.Fetch.Topics[0].Partitions[0] is { FetchOffset: 3, CurrentLeaderEpoch: 5 });
        var retried = broker.RequestsOf(ApiKey.Fetch).First(r => r.Fetch.Topics[0].Partitions[0].CurrentLeaderEpoch == 6);
        Assert.Equal(3, retried.Fetch.Topics[0].Partitions[0].FetchOffset);
        Assert.Contains(broker.RequestsOf(ApiKey.Metadata), m => m.Sequence > firstFenced.Sequence && m.Sequence < retried.Sequence);
    }

    [Fact]
    public async Task A_diverging_epoch_moves_the_position_to_the_end_offset_of_that_epoch()
    {
        await using var broker = new FakeKafkaBroker();
        var partition = broker.Cluster.AddTopic(Topic, leaderEpoch: 1).Partitions[0];
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Batch(0, 7, "old", leaderEpoch: 1), Batch(7, 3, "old", leaderEpoch: 1)));
        FetchRequest.FetchPartition? diverged = null;
        var switching = false;
        broker.FetchHandler = call =>
        {
            if (Volatile.Read(ref switching)) return FakeFetch.Empty(call);
            var p = call.Single;
            if (partition.LeaderEpoch == 2 && p.LastFetchedEpoch == 1 && p.FetchOffset > 7 && p.CurrentLeaderEpoch == 2)
            {
                // The new leader's log has epoch 1 only up to offset 7 (exclusive): the consumer read past the divergence.
                diverged ??= call.Request.Topics[0].Partitions[0];
                var data = FakeFetch.Partition(p.Partition, null, log.HighWatermark);
                data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = 1, EndOffset = 7 };
                return FakeFetch.Response(Topic, data);
            }
            return call.FromLog();
        };
        await using var consumer = NewConsumer(broker);
        AssertOffsets(await ConsumeAsync(consumer, 10), Range(0, 10));

        // Unclean election: the new leader (epoch 2) lost offsets 7..9 and wrote new records there.
        Volatile.Write(ref switching, true);
        log.TruncateTo(7);
        log.Append(Batch(7, 2, "new", leaderEpoch: 2));
        partition.LeaderEpoch = 2;
        Volatile.Write(ref switching, false);
        var records = await ConsumeAsync(consumer, 2);

        Assert.Equal(["new7", "new8"], records.Select(r => r.Value));
        AssertOffsets(records, [7, 8]);
        Assert.NotNull(diverged);
        Assert.Equal(10, diverged!.FetchOffset);
        var after = broker.RequestsOf(ApiKey.Fetch).SkipWhile(r => r.Fetch.Topics[0].Partitions[0].FetchOffset != 10 || r.Fetch.Topics[0].Partitions[0].CurrentLeaderEpoch != 2).Skip(1);
        Assert.Equal(7, after.First().Fetch.Topics[0].Partitions[0].FetchOffset);
        Assert.True(broker.RequestsOf(ApiKey.Fetch).All(r => r.Version >= 12));
    }

    [Fact]
    public async Task After_a_divergence_the_next_fetch_carries_the_diverging_epoch_as_LastFetchedEpoch()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, leaderEpoch: 2);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Batch(0, 3, leaderEpoch: 1), Batch(3, 3, leaderEpoch: 1)));
        var diverged = 0;
        broker.FetchHandler = call =>
        {
            if (call.Single.FetchOffset == 6 && Interlocked.Increment(ref diverged) == 1)
            {
                var data = FakeFetch.Partition(0, null, 6);
                data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = 1, EndOffset = 3 };
                return FakeFetch.Response(Topic, data);
            }
            return call.FromLog();
        };
        await using var consumer = NewConsumer(broker);
        AssertOffsets(await ConsumeAsync(consumer, 6), Range(0, 6));

        var refetch = await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 3, "the fetch from the end offset of epoch 1");

        Assert.Equal(1, refetch.Fetch.Topics[0].Partitions[0].LastFetchedEpoch);
    }

    [Fact]
    public async Task A_diverging_epoch_with_AutoOffsetReset_None_is_surfaced_and_a_seek_continues()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, leaderEpoch: 1);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Batch(0, 3, leaderEpoch: 1), Batch(3, 2, leaderEpoch: 1)));
        var diverge = false;
        broker.FetchHandler = call =>
        {
            if (call.Single.FetchOffset == 5 && Volatile.Read(ref diverge))
            {
                var data = FakeFetch.Partition(0, null, 5);
                data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = 1, EndOffset = 3 };
                return FakeFetch.Response(Topic, data);
            }
            return call.FromLog();
        };
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.None);
        consumer.Seek(P0, 0);
        AssertOffsets(await ConsumeAsync(consumer, 5), Range(0, 5));
        Volatile.Write(ref diverge, true); // only once the application has every record

        var (before, error) = await ConsumeUntilErrorAsync(consumer);
        Assert.Empty(before);
        Assert.IsAssignableFrom<KafkaException>(error);
        Assert.Contains("truncation", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(P0.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("offset 3", error.Message, StringComparison.Ordinal);

        Volatile.Write(ref diverge, false);
        log.TruncateTo(3);
        log.Append(Batch(3, 1, "new", leaderEpoch: 2));
        consumer.Seek(P0, 3);
        Assert.Equal(["new3"], (await ConsumeAsync(consumer, 1)).Select(r => r.Value));
    }

    [Fact]
    public async Task A_divergence_past_the_application_position_is_refetched_without_an_error()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, leaderEpoch: 1);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Batch(0, 3, leaderEpoch: 1), Batch(3, 2, leaderEpoch: 1)));
        var diverged = 0;
        broker.FetchHandler = call =>
        {
            if (call.Single.FetchOffset != 5 || Interlocked.Exchange(ref diverged, 1) != 0) return call.FromLog();
            // The new leader (epoch 2) never had offsets 3-4: they were prefetched but not yet handed out.
            log.TruncateTo(3);
            log.Append(Batch(3, 1, "new", leaderEpoch: 2));
            var data = FakeFetch.Partition(0, null, highWatermark: 4);
            data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = 1, EndOffset = 3 };
            return FakeFetch.Response(Topic, data);
        };
        await using var consumer = NewConsumer(broker, o => o.AutoOffsetReset = AutoOffsetReset.None);
        consumer.Seek(P0, 0);
        // The prefetch at 5 is answered with the divergence while records 0..4 wait, unread, in the consumer.
        await Testing.Eventually.TrueAsync(() => Volatile.Read(ref diverged) == 1 && consumer.Highwater(P0) == 4, Patience, "the diverging answer to be processed");

        var records = await ConsumeAsync(consumer, 4);

        // Nothing handed out was truncated, so there is no error: the consumer refetched from its position.
        AssertOffsets(records, [0, 1, 2, 3]);
        Assert.Equal("new3", records[^1].Value);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(7)]
    public async Task Fetch_below_v12_works_after_reading_batches_that_carry_a_leader_epoch(short maxFetchVersion)
    {
        await using var broker = new FakeKafkaBroker();
        broker.ApiVersions[ApiKey.Fetch] = (0, maxFetchVersion);
        broker.ApiVersions[ApiKey.ListOffsets] = (0, 2); // no leader epoch in the ListOffsets answer either
        broker.Cluster.AddTopic(Topic, leaderEpoch: 3);
        broker.Cluster.Log(Topic).Append(Batch(0, 3, leaderEpoch: 3));
        await using var consumer = NewConsumer(broker);
        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);

        broker.Cluster.Log(Topic).Append(Batch(3, 3, leaderEpoch: 3));
        AssertOffsets(await ConsumeAsync(consumer, 3), [3, 4, 5]);
        Assert.All(broker.RequestsOf(ApiKey.Fetch), r => Assert.Equal(maxFetchVersion, r.Version));
    }
}
