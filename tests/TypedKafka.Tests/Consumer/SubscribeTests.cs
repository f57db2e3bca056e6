using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>KafkaConsumer with group management: subscribe, commit, committed offsets surviving a restart.</summary>
public sealed class SubscribeTests
{
    private static ConsumerOptions GroupOptions(KafkaTestCluster cluster, string group, Action<ConsumerOptions>? configure = null) =>
        Options(cluster, o =>
        {
            o.GroupId = group;
            o.SessionTimeout = TimeSpan.FromSeconds(6);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.EnableAutoCommit = false;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task Subscribed_consumer_reads_everything_and_committed_offsets_survive_a_restart()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic("g", 4);
        var sent = await ProduceAsync(cluster, "g", 4, 400, cts.Token);

        var listener = new RecordingListener();
        List<ConsumerRecord<string?, string?>> first;
        await using (var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "billing")))
        {
            consumer.Subscribe(["g"], listener);
            Assert.Throws<InvalidOperationException>(() => consumer.Assign([new("g", 0)]));
            Assert.Equal(new HashSet<string> { "g" }, consumer.Subscription);
            first = await ConsumeAsync(consumer, 200, cts.Token);
            Assert.Equal(4, consumer.Assignment.Count);
            Assert.Contains(listener.Events, e => e.StartsWith("assigned", StringComparison.Ordinal));
            // Commit exactly what was handed out: the next offset per partition.
            var next = first.GroupBy(r => r.TopicPartition).ToDictionary(g => g.Key, g => new OffsetAndMetadata(g.Max(r => r.Offset) + 1, "m"));
            await consumer.CommitAsync(next, cts.Token);
            foreach (var (tp, offset) in next)
            {
                var committed = await consumer.CommittedAsync(tp, cts.Token);
                Assert.Equal(offset.Offset, committed!.Offset);
                Assert.Equal("m", committed.Metadata);
            }
            await consumer.CloseAsync(autoCommit: false);
        }
        Assert.Contains(listener.Events, e => e.StartsWith("revoked", StringComparison.Ordinal));

        await using var restarted = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "billing"));
        restarted.Subscribe(["g"]);
        var committedCount = first.Count;
        var rest = await ConsumeAsync(restarted, sent.Count - committedCount, cts.Token);
        AssertExactlyOnceInOrder([.. first, .. rest], sent);
        Assert.Equal(sent.Count, first.Count + rest.Count);
    }

    [Fact]
    public async Task Auto_commit_commits_positions_on_close_and_assign_mode_with_a_group_starts_from_them()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("a", 2);
        var sent = await ProduceAsync(cluster, "a", 2, 100, cts.Token);
        var partitions = new[] { new TopicPartition("a", 0), new TopicPartition("a", 1) };

        await using (var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "auto", o => o.EnableAutoCommit = true)))
        {
            consumer.Subscribe(["a"]);
            await ConsumeAsync(consumer, 100, cts.Token);
        }
        await using var check = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "auto"));
        var committed = await check.CommittedAsync(partitions, cts.Token);
        Assert.All(partitions, p => Assert.Equal(50, committed[p]!.Offset));

        // Assign mode with a group id starts at the committed offsets.
        check.Assign(partitions);
        Assert.Equal(50, await check.PositionAsync(partitions[0], cts.Token));
        Assert.True((await check.PollAsync(TimeSpan.FromMilliseconds(300), cancellationToken: cts.Token)).IsEmpty);
        _ = sent;
    }

    [Fact]
    public async Task Group_calls_without_a_group_id_are_refused()
    {
        await using var consumer = new KafkaConsumer<string?, string?>(new ConsumerOptions { BootstrapServers = "127.0.0.1:1" });
        Assert.Throws<InvalidOperationException>(() => consumer.Subscribe(["t"]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => consumer.CommitAsync());
        Assert.Empty(consumer.Subscription);
    }

    private sealed class RecordingListener : IConsumerRebalanceListener
    {
        public List<string> Events { get; } = [];

        public ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken)
        {
            lock (Events) Events.Add($"revoked {revoked.Count}");
            return ValueTask.CompletedTask;
        }

        public ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken)
        {
            lock (Events) Events.Add($"assigned {assigned.Count}");
            return ValueTask.CompletedTask;
        }
    }
}
