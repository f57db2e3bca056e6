using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>
/// read_committed at the byte level (KIP-98): transactional batches of two producers, the aborted-transaction index and
/// COMMIT/ABORT control batches in one Fetch response. librdkafka's mock stores markers but never sends the index, so
/// only a scripted broker can show the filtering.
/// </summary>
public sealed class ReadCommittedTests
{
    private const long Aborter = 10;
    private const long Committer = 20;

    /// <summary>
    /// 0-1 producer 10 (aborted) · 2-3 producer 20 · 4 plain · 5 producer 10 (aborted) · 6 ABORT(10) · 7 COMMIT(20) ·
    /// 8-9 producer 10, a new transaction · 10 COMMIT(10) · 11 producer 10 (aborted again) · 12 ABORT(10).
    /// </summary>
    private static FakeKafkaBroker TwoProducerLog(short maxFetchVersion)
    {
        var broker = new FakeKafkaBroker();
        broker.ApiVersions[ApiKey.Fetch] = (0, maxFetchVersion);
        broker.Cluster.AddTopic(Topic);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(
            Transactional(0, 2, Aborter, "a"),
            Transactional(2, 2, Committer, "c"),
            Batch(4, 1, "n"),
            Transactional(5, 1, Aborter, "a"),
            Marker(6, Aborter, ControlRecordType.Abort),
            Marker(7, Committer, ControlRecordType.Commit),
            Transactional(8, 2, Aborter, "e"),
            Marker(10, Aborter, ControlRecordType.Commit),
            Transactional(11, 1, Aborter, "x"),
            Marker(12, Aborter, ControlRecordType.Abort)));
        log.AddAbortedTransaction(Aborter, firstOffset: 0, markerOffset: 6);
        log.AddAbortedTransaction(Aborter, firstOffset: 11, markerOffset: 12);
        return broker;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(16)]
    public async Task Only_committed_records_are_delivered_and_the_position_moves_past_the_markers(short fetchVersion)
    {
        await using var broker = TwoProducerLog(fetchVersion);
        await using var consumer = NewConsumer(broker, o => o.IsolationLevel = IsolationLevel.ReadCommitted);

        var records = await ConsumeAsync(consumer, 5);

        AssertOffsets(records, [2, 3, 4, 8, 9]);
        Assert.Equal(["c2", "c3", "n4", "e8", "e9"], records.Select(r => r.Value));
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(150)));
        // The last batch of the log is an ABORT marker: the position is past it, and the next fetch asks from there.
        Assert.Equal(13, await consumer.PositionAsync(P0));
        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 13, "a fetch from offset 13");

        var fetches = broker.RequestsOf(ApiKey.Fetch);
        Assert.All(fetches, f => Assert.Equal(fetchVersion, f.Version));
        Assert.All(fetches, f => Assert.Equal(1, f.Fetch.IsolationLevel));
        Assert.All(broker.RequestsOf(ApiKey.ListOffsets), r => Assert.Equal(1, r.ListOffsets.IsolationLevel));
    }

    [Fact]
    public async Task Read_uncommitted_delivers_aborted_records_but_never_control_records()
    {
        await using var broker = TwoProducerLog(16);
        await using var consumer = NewConsumer(broker);

        var records = await ConsumeAsync(consumer, 9);

        AssertOffsets(records, [0, 1, 2, 3, 4, 5, 8, 9, 11]);
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(150)));
        Assert.Equal(13, await consumer.PositionAsync(P0));
        Assert.All(broker.RequestsOf(ApiKey.Fetch), f => Assert.Equal(0, f.Fetch.IsolationLevel));
    }

    [Fact]
    public async Task An_aborted_transaction_spanning_two_fetch_responses_is_skipped_in_both()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        var first = Transactional(0, 3, Aborter, "a");
        var second = Transactional(3, 1, Committer, "c");
        broker.Cluster.Log(Topic).Append(Concat(
            first, second,
            Transactional(4, 2, Aborter, "a"),
            Marker(6, Aborter, ControlRecordType.Abort),
            Marker(7, Committer, ControlRecordType.Commit),
            Batch(8, 1, "n")));
        broker.Cluster.Log(Topic).AddAbortedTransaction(Aborter, firstOffset: 0, markerOffset: 6);
        // The partition limit cuts the first response after offset 3: the aborted transaction continues in the next one.
        await using var consumer = NewConsumer(broker, o =>
        {
            o.IsolationLevel = IsolationLevel.ReadCommitted;
            o.MaxPartitionFetchBytes = first.Length + second.Length;
        });

        var records = await ConsumeAsync(consumer, 2);

        AssertOffsets(records, [3, 8]);
        Assert.Equal(["c3", "n8"], records.Select(r => r.Value));
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(150)));
        var offsets = broker.Fetches.Select(f => f.Topics[0].Partitions[0].FetchOffset).Distinct().ToList();
        Assert.Equal(0, offsets[0]);
        Assert.Equal(4, offsets[1]); // the second response starts inside the aborted transaction
        Assert.Equal(9, await consumer.PositionAsync(P0));
    }

    [Fact]
    public async Task A_response_holding_only_an_aborted_transaction_and_its_marker_advances_the_position()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        var log = broker.Cluster.Log(Topic);
        log.Append(Concat(Transactional(0, 3, Aborter, "a"), Marker(3, Aborter, ControlRecordType.Abort)));
        log.AddAbortedTransaction(Aborter, 0, 3);
        await using var consumer = NewConsumer(broker, o => o.IsolationLevel = IsolationLevel.ReadCommitted);

        await WaitForRequestAsync(broker, ApiKey.Fetch, r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 4, "a fetch past the marker");
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(4, await consumer.PositionAsync(P0));

        log.Append(Batch(4, 2, "n"));
        AssertOffsets(await ConsumeAsync(consumer, 2), [4, 5]);
    }
}
