using System.Collections.Concurrent;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>
/// Members join and leave a group (1 → 3 → 1) while records keep arriving, for each assignor: no record is lost, and a
/// record is delivered twice only when the commit after the poll that returned it failed (the group had moved on).
/// </summary>
public sealed class GroupLoadTests
{
    private const string Topic = "load";
    private const int Partitions = 6;

    private sealed class Member : IAsyncDisposable
    {
        private readonly KafkaConsumer<string?, string?> _consumer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Member(KafkaTestCluster cluster, string group, PartitionAssignmentStrategy strategy, ConcurrentBag<(int, long)> received, ConcurrentBag<(int, long)> uncommitted)
        {
            _consumer = new KafkaConsumer<string?, string?>(Options(cluster, o =>
            {
                o.GroupId = group;
                o.EnableAutoCommit = false;
                o.SessionTimeout = TimeSpan.FromSeconds(3);
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
                o.PartitionAssignmentStrategy = [strategy];
            }));
            _consumer.Subscribe([Topic]);
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    ConsumerRecords<string?, string?> records;
                    try
                    {
                        records = await _consumer.PollAsync(TimeSpan.FromMilliseconds(100), cancellationToken: _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    foreach (var r in records) received.Add((r.Partition, r.Offset));
                    if (records.IsEmpty) continue;
                    try
                    {
                        await _consumer.CommitAsync(cancellationToken: CancellationToken.None);
                    }
                    catch (CommitFailedException)
                    {
                        foreach (var r in records) uncommitted.Add((r.Partition, r.Offset));
                    }
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _loop;
            await _consumer.CloseAsync(autoCommit: false);
            _stop.Dispose();
        }
    }

    [Theory]
    [InlineData(PartitionAssignmentStrategy.Range)]
    [InlineData(PartitionAssignmentStrategy.RoundRobin)]
    [InlineData(PartitionAssignmentStrategy.Sticky)]
    [InlineData(PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task One_to_three_to_one_members_under_load_lose_nothing(PartitionAssignmentStrategy strategy)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var cluster = await KafkaTestCluster.StartAsync(3);
        cluster.CreateTopic(Topic, Partitions);
        var group = $"load-{strategy}";
        var produced = new ConcurrentDictionary<(int, long), bool>();
        var received = new ConcurrentBag<(int, long)>();
        var uncommitted = new ConcurrentBag<(int, long)>();

        using var stopProducing = new CancellationTokenSource();
        var producing = Task.Run(async () =>
        {
            using var producer = cluster.CreateProducer(new TestProducerOptions { Linger = TimeSpan.FromMilliseconds(2) });
            for (var round = 0; !stopProducing.IsCancellationRequested; round++)
            {
                var sent = await ProduceWithAsync(producer, round, cts.Token);
                foreach (var key in sent) produced[key] = true;
            }
        });

        var a = new Member(cluster, group, strategy, received, uncommitted);
        await Eventually.TrueAsync(() => received.Count > 50, TimeSpan.FromSeconds(30), "the first member to consume", cts.Token);
        var b = new Member(cluster, group, strategy, received, uncommitted);
        var c = new Member(cluster, group, strategy, received, uncommitted);
        var before = received.Count;
        await Eventually.TrueAsync(() => received.Count > before + 300, TimeSpan.FromSeconds(60), "three members to consume", cts.Token);
        await b.DisposeAsync();
        await c.DisposeAsync();
        before = received.Count;
        await Eventually.TrueAsync(() => received.Count > before + 100, TimeSpan.FromSeconds(60), "the last member to go on", cts.Token);
        stopProducing.Cancel();
        await producing;
        await Eventually.TrueAsync(() => produced.Keys.All(received.Contains), TimeSpan.FromSeconds(60), "every produced record to arrive", cts.Token);
        await a.DisposeAsync();

        var counts = received.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(produced.Keys, key => Assert.True(counts.ContainsKey(key), $"Record {key} was lost."));
        var allowed = uncommitted.ToHashSet();
        var duplicates = counts.Where(c => c.Value > 1).Select(c => c.Key).ToList();
        Assert.True(duplicates.All(allowed.Contains),
            $"{duplicates.Count(d => !allowed.Contains(d))} records were delivered twice although their poll's commit succeeded, e.g. {string.Join(", ", duplicates.Where(d => !allowed.Contains(d)).Take(5))}.");
    }

    private static async Task<List<(int, long)>> ProduceWithAsync(TestProducer producer, int round, CancellationToken ct)
    {
        var records = Enumerable.Range(0, 30).Select(i => TestRecord.Utf8($"k{round}-{i}", $"v{round}-{i}", i % Partitions)).ToList();
        var produced = await producer.ProduceAsync(Topic, records, ct);
        return [.. produced.Select(p => (p.Partition, p.Offset))];
    }
}
