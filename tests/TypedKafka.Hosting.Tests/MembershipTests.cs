using System.Collections.Concurrent;
using TypedKafka.Testing;
using static TypedKafka.Hosting.Tests.EngineTestSupport;

namespace TypedKafka.Hosting.Tests;

/// <summary>Two hosts in one group under continuous production while the second joins and leaves.</summary>
public sealed class MembershipTests
{
    [Fact]
    public async Task Two_hosts_in_one_group_lose_nothing_and_repeat_nothing_while_one_joins_and_leaves()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("members", 4);
        var produced = new ConcurrentQueue<ProducedRecord>();
        using var stopProducing = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            var n = 0;
            while (!stopProducing.IsCancellationRequested)
            {
                var batch = Enumerable.Range(n, 8).Select(i => Seq($"k{i % 4}", i, i % 4)).ToList();
                foreach (var record in await cluster.ProduceAsync("members", batch, CancellationToken.None)) produced.Enqueue(record);
                n += 8;
                await Task.Delay(10, CancellationToken.None);
            }
        }, CancellationToken.None);

        // Every handler call runs for a few ms, so that records are in flight when partitions move.
        static Probe Member(int host)
        {
            var probe = new Probe(host);
            probe.Behaviour = (_, _, ct) => Task.Delay(2, ct);
            return probe;
        }
        var first = Member(1);
        var second = Member(2);
        var logs = new LogSink();
        void Fast(TypedKafkaOptions o)
        {
            // Cooperative rebalancing revokes partitions while the group is stable, so the commit after the drain lands
            // (the mock broker refuses commits during an eager rebalance's join phase; a real broker accepts them).
            o.Consumer.PartitionAssignmentStrategy = [PartitionAssignmentStrategy.CooperativeSticky];
            o.Consumer.SessionTimeout = TimeSpan.FromSeconds(3);
            o.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
        }
        using var hostA = BuildHost(cluster, "g-members", first, Fast, logs);
        await hostA.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => first.Count >= 100, cts.Token.CanBeCanceled ? TimeSpan.FromSeconds(60) : Patience, "the first host to handle records", cts.Token);

        using var hostB = BuildHost(cluster, "g-members", second, Fast);
        await hostB.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => second.Count >= 100, TimeSpan.FromSeconds(60), "the second host to get partitions and handle records", cts.Token);
        await hostB.StopAsync(cts.Token);
        var afterLeave = first.Count;
        await Eventually.TrueAsync(() => first.Count >= afterLeave + 100, TimeSpan.FromSeconds(60), "the first host to take the partitions back", cts.Token);

        stopProducing.Cancel();
        await producer;
        var all = produced.ToList();
        bool AllHandled() => all.All(p => first.Completed.GetValueOrDefault(("members", p.Partition))?.ContainsKey(p.Offset) == true
                                       || second.Completed.GetValueOrDefault(("members", p.Partition))?.ContainsKey(p.Offset) == true);
        await Eventually.TrueAsync(AllHandled, TimeSpan.FromSeconds(60), "every produced record to be handled", cts.Token);
        await hostA.StopAsync(cts.Token);

        var handled = first.Handled.Concat(second.Handled).ToList();
        // Nothing lost.
        Assert.All(all, p => Assert.Contains(handled, h => h.Partition == p.Partition && h.Offset == p.Offset));
        // Per member and partition, records ran in offset order within each assignment: the offsets only go back when
        // the partition came back to the member (at most once here: the first host gets them back when the second leaves).
        foreach (var run in handled.GroupBy(h => (h.Host, h.Partition)))
        {
            var offsets = run.Select(h => h.Offset).ToList();
            var restarts = offsets.Zip(offsets.Skip(1)).Count(p => p.Second <= p.First);
            Assert.True(restarts <= 1, $"Host {run.Key.Host} went back {restarts} times in partition {run.Key.Partition}.");
        }
        // Revocation stops starting records, drains those in flight and commits before the hand-over, so no record is
        // handled twice (a record in flight at revocation finishes there and is committed with the others).
        var duplicates = handled.GroupBy(h => (h.Partition, h.Offset)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0,
            $"{duplicates.Count} records were handled twice, e.g. {string.Join(", ", duplicates.Take(5))}; warnings: " +
            string.Join(" | ", logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Message).Take(5)));
        Assert.True(first.Handled.Select(h => h.Partition).Distinct().Count() == 4 && second.Count > 0);
    }
}
