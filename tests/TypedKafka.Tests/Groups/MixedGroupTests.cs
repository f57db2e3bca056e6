using System.Collections.Concurrent;
using TypedKafka.Testing;
using CK = Confluent.Kafka;

namespace TypedKafka.Tests.Groups;

/// <summary>
/// TypedKafka members and Confluent.Kafka (librdkafka) members in one classic group: each side decodes the other's
/// subscription metadata and assignment, whoever leads. Every member lists the same protocols in the same order: the
/// mock picks the leader's first protocol and asserts that every member's first protocol is that one (a mixed order
/// aborts the process; see test-broker.md §7).
/// </summary>
public sealed class MixedGroupTests
{
    [Theory]
    [InlineData(PartitionAssignmentStrategy.Range, CK.PartitionAssignmentStrategy.Range)]
    [InlineData(PartitionAssignmentStrategy.RoundRobin, CK.PartitionAssignmentStrategy.RoundRobin)]
    [InlineData(PartitionAssignmentStrategy.CooperativeSticky, CK.PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task TypedKafka_and_Confluent_members_share_the_partitions(PartitionAssignmentStrategy ours, CK.PartitionAssignmentStrategy theirs)
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 5);
        cluster.CreateTopic("refunds", 3);
        var group = GroupTests.NewGroupId("mixed");
        var all = GroupTests.Partitions("orders", 5).Concat(GroupTests.Partitions("refunds", 3)).ToList();

        // librdkafka joins first, so it leads the first rebalances: TypedKafka decodes its assignments.
        using var c1 = new ConfluentMember(cluster, group, theirs, "c1");
        await Eventually.TrueAsync(() => c1.Assignment.Count == all.Count, GroupTests.Timeout, "the Confluent member alone owns everything");
        await using var a = new TestMember(GroupTests.Options(cluster, group, ours), "a").Subscribe("orders", "refunds").StartPolling();
        await using var b = new TestMember(GroupTests.Options(cluster, group, ours), "b").Subscribe("orders", "refunds").StartPolling();
        await AwaitMixedSplitAsync([a, b], [c1], all);

        // Without the Confluent member a TypedKafka member leads; a new Confluent member then decodes our assignment.
        c1.Close();
        await GroupTests.AwaitSplitAsync([a, b], all);
        using var c2 = new ConfluentMember(cluster, group, theirs, "c2");
        await AwaitMixedSplitAsync([a, b], [c2], all);
        Assert.Empty(a.PollErrors);
        Assert.Empty(b.PollErrors);
        Assert.Empty(c1.Errors);
        Assert.Empty(c2.Errors);
        if (ours == PartitionAssignmentStrategy.CooperativeSticky) Assert.Empty(a.Listener.Lost);
    }

    private static Task AwaitMixedSplitAsync(IReadOnlyCollection<TestMember> ours, IReadOnlyCollection<ConfluentMember> theirs, IReadOnlyCollection<TopicPartition> all) =>
        GroupTests.AwaitAsync(ours, () =>
        {
            if (!ours.All(m => m.IsStable)) return false;
            var owned = ours.SelectMany(m => m.Assignment).Concat(theirs.SelectMany(c => c.Assignment)).ToList();
            return owned.Count == all.Count && owned.ToHashSet().SetEquals(all)
                && ours.All(m => m.Assignment.Count > 0) && theirs.All(c => c.Assignment.Count > 0);
        }, $"every partition owned by exactly one of {ours.Count} TypedKafka and {theirs.Count} Confluent members; Confluent: {string.Join(" | ", theirs)}");

    /// <summary>A Confluent.Kafka consumer driven by its own thread (its rebalances happen inside Consume).</summary>
    private sealed class ConfluentMember : IDisposable
    {
        private readonly CK.IConsumer<byte[], byte[]> _consumer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly string _name;
        private volatile bool _closed;

        public ConfluentMember(KafkaTestCluster cluster, string group, CK.PartitionAssignmentStrategy strategy, string name)
        {
            _name = name;
            Assert.Equal(cluster.NativeVersion, TestProducer.NativeVersion); // binds Confluent.Kafka to the cluster's librdkafka
            _consumer = new CK.ConsumerBuilder<byte[], byte[]>(new CK.ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                GroupId = group,
                ClientId = name,
                PartitionAssignmentStrategy = strategy,
                SessionTimeoutMs = 2000,
                HeartbeatIntervalMs = 200,
                EnableAutoCommit = false,
                AutoOffsetReset = CK.AutoOffsetReset.Earliest,
            }).SetLogHandler((_, _) => { }).Build();
            _consumer.Subscribe(["orders", "refunds"]);
            _loop = Task.Factory.StartNew(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        _consumer.Consume(TimeSpan.FromMilliseconds(50));
                    }
                    catch (CK.ConsumeException e)
                    {
                        Errors.Enqueue(e);
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public ConcurrentQueue<Exception> Errors { get; } = new();

        public IReadOnlyList<TopicPartition> Assignment =>
            _closed ? [] : [.. _consumer.Assignment.Select(tp => new TopicPartition(tp.Topic, tp.Partition.Value))];

        /// <summary>Leaves the group in an orderly way (LeaveGroup).</summary>
        public void Close()
        {
            if (_closed) return;
            _stop.Cancel();
            _loop.Wait(GroupTests.Timeout);
            _consumer.Close();
            _closed = true;
        }

        public void Dispose()
        {
            Close();
            _consumer.Dispose();
            _stop.Dispose();
        }

        public override string ToString() => $"{_name} [{string.Join(", ", Assignment)}]";
    }
}
