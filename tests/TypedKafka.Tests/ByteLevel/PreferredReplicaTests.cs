using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Fetching from the closest replica (KIP-392): two fake brokers share one cluster; the leader names the other
/// as preferred read replica, the consumer moves there, and errors send it back to the leader.</summary>
public sealed class PreferredReplicaTests
{
    private sealed class Pair : IAsyncDisposable
    {
        public Pair()
        {
            Leader = new FakeKafkaBroker(1, rack: "r1");
            Replica = new FakeKafkaBroker(2, Leader.Cluster, rack: "r2");
            Leader.Cluster.AddTopic(Topic, leader: 1);
            Log = Leader.Cluster.Log(Topic);
            // The leader redirects a consumer in rack r2 once, with no records, as Kafka's rack-aware selector does.
            Leader.FetchHandler = call =>
            {
                if (call.Request.RackId == "r2" && Interlocked.Increment(ref _redirects) == 1)
                {
                    var data = FakeFetch.Partition(0, null, Log.HighWatermark);
                    data.PreferredReadReplica = 2;
                    return FakeFetch.Response(Topic, data);
                }
                return call.FromLog();
            };
        }

        private int _redirects;

        public FakeKafkaBroker Leader { get; }

        public FakeKafkaBroker Replica { get; }

        public PartitionLog Log { get; }

        public KafkaConsumer<string?, string?> Consumer(Action<ConsumerOptions>? configure = null) => NewConsumer(Leader, o =>
        {
            o.ClientRack = "r2";
            configure?.Invoke(o);
        });

        public async ValueTask DisposeAsync()
        {
            await Replica.DisposeAsync();
            await Leader.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_consumer_fetches_from_the_preferred_read_replica_and_sends_its_rack()
    {
        await using var pair = new Pair();
        pair.Log.Append(Batch(0, 5));
        await using var consumer = pair.Consumer();

        var records = await ConsumeAsync(consumer, 5);

        AssertOffsets(records, Range(0, 5));
        var leaderFetches = pair.Leader.RequestsOf(ApiKey.Fetch);
        Assert.Single(leaderFetches);
        Assert.Equal("r2", leaderFetches[0].Fetch.RackId);
        Assert.True(leaderFetches[0].Version >= 11);
        var replicaFetches = pair.Replica.RequestsOf(ApiKey.Fetch);
        Assert.NotEmpty(replicaFetches);
        Assert.Equal(0, replicaFetches[0].Fetch.Topics[0].Partitions[0].FetchOffset);
        Assert.All(replicaFetches, r => Assert.Equal("r2", r.Fetch.RackId));

        pair.Log.Append(Batch(5, 2));
        AssertOffsets(await ConsumeAsync(consumer, 2), [5, 6]);
        Assert.Single(pair.Leader.RequestsOf(ApiKey.Fetch)); // still on the replica
    }

    [Fact]
    public async Task An_error_from_the_replica_sends_the_consumer_back_to_the_leader()
    {
        await using var pair = new Pair();
        pair.Log.Append(Batch(0, 3));
        var failing = false;
        pair.Replica.FetchHandler = call => Volatile.Read(ref failing) ? FakeFetch.Error(call, ErrorCode.NotLeaderOrFollower) : call.FromLog();
        await using var consumer = pair.Consumer();
        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);
        Assert.NotEmpty(pair.Replica.RequestsOf(ApiKey.Fetch));

        Volatile.Write(ref failing, true);
        pair.Log.Append(Batch(3, 3));
        var records = await ConsumeAsync(consumer, 3);

        AssertOffsets(records, [3, 4, 5]);
        var back = pair.Leader.RequestsOf(ApiKey.Fetch).Skip(1).First();
        Assert.Equal(3, back.Fetch.Topics[0].Partitions[0].FetchOffset);
        Assert.Empty(pair.Leader.RequestsOf(ApiKey.ListOffsets).Skip(1)); // no reset: the position was kept
    }

    [Fact]
    public async Task OFFSET_OUT_OF_RANGE_from_a_lagging_replica_retries_at_the_leader_without_a_reset()
    {
        await using var pair = new Pair();
        pair.Log.Append(Batch(0, 3));
        var lagging = false;
        pair.Replica.FetchHandler = call => Volatile.Read(ref lagging) && call.Single.FetchOffset >= 3
            ? FakeFetch.Error(call, ErrorCode.OffsetOutOfRange) // the replica has not replicated offset 3 yet
            : call.FromLog();
        await using var consumer = pair.Consumer();
        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);

        Volatile.Write(ref lagging, true);
        pair.Log.Append(Batch(3, 3));
        var records = await ConsumeAsync(consumer, 3);
        records.AddRange(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(150)));

        AssertOffsets(records, [3, 4, 5]); // nothing delivered twice
        Assert.Single(pair.Leader.RequestsOf(ApiKey.ListOffsets)); // only the initial lookup: no reset
        Assert.Contains(pair.Leader.RequestsOf(ApiKey.Fetch), r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 3);
    }

    [Fact]
    public async Task An_unreachable_replica_sends_the_consumer_back_to_the_leader()
    {
        await using var pair = new Pair();
        pair.Log.Append(Batch(0, 3));
        var down = false;
        pair.Replica.Intercept = r => Volatile.Read(ref down) ? Reply.DropConnection : null;
        await using var consumer = pair.Consumer();
        AssertOffsets(await ConsumeAsync(consumer, 3), [0, 1, 2]);

        Volatile.Write(ref down, true);
        pair.Replica.DropConnections();
        pair.Log.Append(Batch(3, 3));
        var records = await ConsumeAsync(consumer, 3);

        AssertOffsets(records, [3, 4, 5]);
        Assert.Contains(pair.Leader.RequestsOf(ApiKey.Fetch), r => r.Fetch.Topics[0].Partitions[0].FetchOffset == 3);
    }
}
