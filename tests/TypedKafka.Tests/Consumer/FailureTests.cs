using TypedKafka.Protocol;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>
/// Assign-mode consumption while the cluster misbehaves: every record is delivered exactly once and in order per
/// partition, and the consumer keeps going. Bounded by deadlines; no sleeps.
/// </summary>
public sealed class FailureTests
{
    private const string Topic = "f";
    private const int Partitions = 6;

    private static async Task<(KafkaTestCluster Cluster, Dictionary<(int, long), string> Sent)> SetUpAsync(int records, CancellationToken ct, TestProducerOptions? producer = null)
    {
        var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic(Topic, Partitions);
        // Two partitions per broker, so that one broker's trouble affects some partitions only.
        for (var p = 0; p < Partitions; p++) cluster.SetPartitionLeader(Topic, p, 1 + p / 2);
        var sent = await ProduceAsync(cluster, Topic, Partitions, records, ct, producer);
        return (cluster, sent);
    }

    private static KafkaConsumer<string?, string?> Assigned(KafkaTestCluster cluster, Action<ConsumerOptions>? configure = null)
    {
        var consumer = new KafkaConsumer<string?, string?>(Options(cluster, configure));
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)));
        return consumer;
    }

    private static TestProducerOptions SmallBatches => new() { BatchNumMessages = 20, Linger = TimeSpan.Zero };

    [Fact]
    public async Task A_broker_going_down_mid_consumption_delays_only_its_partitions()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(1200, cts.Token, SmallBatches);
        await using var _ = cluster;
        await using var consumer = Assigned(cluster, o => o.MaxPartitionFetchBytes = 512);

        var received = await ConsumeAsync(consumer, 100, cts.Token);
        cluster.SetBrokerDown(1);
        // Partitions 2-5 (brokers 2 and 3) finish while broker 1 is down.
        var others = sent.Keys.Count(k => k.Item1 >= 2);
        while (received.Count(r => r.Partition >= 2) < others)
            received.AddRange(await ConsumeAsync(consumer, 1, cts.Token));
        cluster.SetBrokerUp(1);
        received.AddRange(await ConsumeAsync(consumer, sent.Count - received.Count, cts.Token));

        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }

    [Fact]
    public async Task Leaders_moving_to_other_brokers_are_followed()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(1200, cts.Token, SmallBatches);
        await using var _ = cluster;
        await using var consumer = Assigned(cluster, o => o.MaxPartitionFetchBytes = 512);

        var received = await ConsumeAsync(consumer, 200, cts.Token);
        for (var p = 0; p < Partitions; p++) cluster.SetPartitionLeader(Topic, p, 1 + (p / 2 + 1) % 3);
        received.AddRange(await ConsumeAsync(consumer, 400, cts.Token));
        for (var p = 0; p < Partitions; p++) cluster.SetPartitionLeader(Topic, p, 3);
        received.AddRange(await ConsumeAsync(consumer, sent.Count - received.Count, cts.Token));

        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }

    [Fact]
    public async Task Injected_retriable_errors_on_fetch_list_offsets_and_metadata_are_retried()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(600, cts.Token, SmallBatches);
        await using var _ = cluster;
        cluster.PushRequestErrors(ApiKey.Metadata, ErrorCode.LeaderNotAvailable, KafkaTestCluster.ConnectionDrop);
        cluster.PushRequestErrors(ApiKey.ListOffsets, ErrorCode.NotLeaderOrFollower, ErrorCode.LeaderNotAvailable, ErrorCode.UnknownTopicOrPartition, KafkaTestCluster.ConnectionDrop);
        cluster.PushRequestErrors(ApiKey.Fetch,
            ErrorCode.NotLeaderOrFollower, ErrorCode.UnknownLeaderEpoch, ErrorCode.FencedLeaderEpoch, ErrorCode.RequestTimedOut,
            ErrorCode.FetchSessionIdNotFound, ErrorCode.InvalidFetchSessionEpoch, ErrorCode.UnknownTopicOrPartition, ErrorCode.KafkaStorageError);
        await using var consumer = Assigned(cluster, o => o.MaxPartitionFetchBytes = 512);

        var received = await ConsumeAsync(consumer, sent.Count, cts.Token);
        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }

    [Fact]
    public async Task Connections_dropped_mid_fetch_lose_nothing()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(900, cts.Token, SmallBatches);
        await using var _ = cluster;
        await using var consumer = Assigned(cluster, o => o.MaxPartitionFetchBytes = 512);

        var received = await ConsumeAsync(consumer, 100, cts.Token);
        cluster.PushRequestErrors(ApiKey.Fetch, Enumerable.Repeat(KafkaTestCluster.ConnectionDrop, 6).ToArray());
        received.AddRange(await ConsumeAsync(consumer, 300, cts.Token));
        cluster.PushRequestErrors(ApiKey.Fetch, KafkaTestCluster.ConnectionDrop, ErrorCode.NotLeaderOrFollower, KafkaTestCluster.ConnectionDrop);
        received.AddRange(await ConsumeAsync(consumer, sent.Count - received.Count, cts.Token));

        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }

    [Fact]
    public async Task A_slow_broker_slows_only_its_partitions()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(600, cts.Token, SmallBatches);
        await using var _ = cluster;
        cluster.SetBrokerRtt(2, TimeSpan.FromMilliseconds(150));
        await using var consumer = Assigned(cluster, o => o.MaxPartitionFetchBytes = 2048);

        var received = await ConsumeAsync(consumer, sent.Count, cts.Token);
        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }

    [Fact]
    public async Task Log_start_moving_past_the_position_resets_and_continues()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("l", 1);
        var sent = await ProduceAsync(cluster, "l", 1, 1000, cts.Token, SmallBatches);
        var tp = new TopicPartition("l", 0);

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.MaxPartitionFetchBytes = 256));
        consumer.Assign([tp]);
        var received = (await consumer.PollAsync(TimeSpan.FromSeconds(10), maxRecords: 5, cts.Token)).ToList();
        while (received.Count < 5) received.AddRange(await consumer.PollAsync(TimeSpan.FromSeconds(1), maxRecords: 5 - received.Count, cts.Token));
        cluster.DeleteRecords("l", 0, 600);
        // Whatever was already fetched (before the deletion) may still be delivered; then the fetcher finds its
        // position out of range and resets to the new log start.
        while (received.Count == 0 || received[^1].Offset < 999)
            received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token));

        var offsets = received.Select(r => r.Offset).ToList();
        Assert.Equal(offsets.OrderBy(o => o).Distinct(), offsets);
        Assert.Equal(Enumerable.Range(600, 400).Select(i => (long)i), offsets.Where(o => o >= 600));
        Assert.All(received, r => Assert.Equal(sent[(0, r.Offset)], r.Value));
        Assert.True(offsets.Count(o => o < 600) < 600, "Records below the new log start were not all delivered: the reset happened.");
    }

    [Fact]
    public async Task Out_of_range_with_reset_none_throws_until_the_application_seeks()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("o", 1);
        await ProduceAsync(cluster, "o", 1, 100, cts.Token);
        cluster.DeleteRecords("o", 0, 50);
        var tp = new TopicPartition("o", 0);

        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.None));
        consumer.Assign([tp]);
        consumer.Seek(tp, 10);
        var e = await Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await consumer.PollAsync(TimeSpan.FromSeconds(10), cancellationToken: cts.Token));
        Assert.Equal(10, e.Offsets[tp]);
        await Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await consumer.PollAsync(TimeSpan.FromSeconds(1), cancellationToken: cts.Token));
        consumer.SeekToBeginning(tp);
        var records = await ConsumeAsync(consumer, 50, cts.Token);
        Assert.Equal(Enumerable.Range(50, 50).Select(i => (long)i), records.Select(r => r.Offset));
    }

    [Fact]
    public async Task Records_produced_while_consuming_arrive_exactly_once()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (cluster, sent) = await SetUpAsync(300, cts.Token);
        await using var _ = cluster;
        await using var consumer = Assigned(cluster);
        var received = await ConsumeAsync(consumer, 100, cts.Token);
        var more = await ProduceAsync(cluster, Topic, Partitions, 600, cts.Token, SmallBatches, start: 300);
        foreach (var (key, value) in more) sent[key] = value;
        received.AddRange(await ConsumeAsync(consumer, sent.Count - received.Count, cts.Token));
        AssertExactlyOnceInOrder(received, sent);
        Assert.Equal(sent.Count, received.Count);
    }
}
