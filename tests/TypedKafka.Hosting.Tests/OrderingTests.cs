using TypedKafka.Testing;
using static TypedKafka.Hosting.Tests.EngineTestSupport;

namespace TypedKafka.Hosting.Tests;

/// <summary>Each ordering mode end to end: order per partition or key, every record handled exactly once (no faults),
/// and the peak concurrency reaching the mode's bound and never passing it. The first handlers wait until the bound is
/// reached, so a sequential engine fails these tests (the gate times out).</summary>
public sealed class OrderingTests
{
    /// <summary>Holds the first calls until <paramref name="bound"/> run at once (or fails the call after 20 s).</summary>
    private static Func<MessageContext, Seq, CancellationToken, Task> GateUntil(Probe probe, int bound, int jitterSeed)
    {
        var opened = 0;
        var random = new Random(jitterSeed);
        return async (_, _, _) =>
        {
            if (Volatile.Read(ref opened) == 0)
            {
                await Eventually.TrueAsync(() => probe.Running >= bound, TimeSpan.FromSeconds(20), $"{bound} handlers to run at once");
                Volatile.Write(ref opened, 1);
            }
            int delay;
            lock (random) delay = random.Next(3);
            await Task.Delay(delay);
        };
    }

    [Fact]
    public async Task Partition_ordering_handles_each_partition_in_order_exactly_once_with_all_partitions_at_once()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("ord-partition", 4);
        await cluster.ProduceAsync("ord-partition", Enumerable.Range(0, 400).Select(i => Seq($"p{i % 4}", i / 4, i % 4)), cts.Token);
        var probe = new Probe();
        probe.Behaviour = GateUntil(probe, 4, 1);
        using var host = BuildHost(cluster, "g-partition", probe);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Count >= 400, Patience, "400 records handled", cts.Token);
        await host.StopAsync(cts.Token);

        var handled = probe.Handled.ToList();
        Assert.Equal(400, handled.Count);
        foreach (var partition in handled.GroupBy(h => h.Partition))
            Assert.Equal(Enumerable.Range(0, 100), partition.Select(h => h.N)); // in offset order, each once
        Assert.Equal(4, probe.Peak);
        Assert.Equal(4, host.Engine("g-partition").Routes["ord-partition"].Processors[0].PeakRunning);
    }

    [Fact]
    public async Task Key_ordering_handles_each_key_in_order_exactly_once_with_MaxConcurrency_keys_at_once()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("ord-key", 2);
        // 16 keys over 2 partitions, 25 records each: a partition holds 8 keys interleaved.
        await cluster.ProduceAsync("ord-key", Enumerable.Range(0, 400).Select(i => Seq($"k{i % 16}", i / 16, i % 16 % 2)), cts.Token);
        var probe = new Probe();
        probe.Behaviour = GateUntil(probe, 8, 2);
        using var host = BuildHost(cluster, "g-key", probe);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Count >= 400, Patience, "400 records handled", cts.Token);
        await host.StopAsync(cts.Token);

        var handled = probe.Handled.ToList();
        Assert.Equal(400, handled.Count);
        foreach (var key in handled.GroupBy(h => h.Key))
            Assert.Equal(Enumerable.Range(0, 25), key.Select(h => h.N));
        Assert.Equal(0, probe.KeyOverlaps);
        Assert.Equal(8, probe.Peak); // MaxConcurrency = 8, with 8 keys per partition: only keys, not partitions, bound it
    }

    [Fact]
    public async Task Unordered_handles_every_record_exactly_once_with_MaxConcurrency_at_once()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("ord-unordered", 1);
        await cluster.ProduceAsync("ord-unordered", Enumerable.Range(0, 300).Select(i => Seq("same-key", i, 0)), cts.Token);
        var probe = new Probe();
        probe.Behaviour = GateUntil(probe, 8, 3);
        using var host = BuildHost(cluster, "g-unordered", probe);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Count >= 300, Patience, "300 records handled", cts.Token);
        await host.StopAsync(cts.Token);

        var handled = probe.Handled.ToList();
        Assert.Equal(Enumerable.Range(0, 300), handled.Select(h => h.N).Order());
        Assert.Equal(8, probe.Peak); // one partition, one key: only Unordered runs 8 at once
        Assert.Equal(300, await CommittedAsync(cluster, "g-unordered", new("ord-unordered", 0), cts.Token));
    }

    [Fact]
    public async Task Committed_offsets_sampled_during_a_run_with_random_latencies_never_pass_an_unfinished_record()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("latency", 2);
        await cluster.ProduceAsync("latency", Enumerable.Range(0, 800).Select(i => Seq($"k{i % 10}", i, i % 2)), cts.Token);
        var probe = new Probe();
        var random = new Random(11);
        probe.Behaviour = async (_, _, ct) =>
        {
            int delay;
            lock (random) delay = random.Next(25);
            await Task.Delay(delay, ct);
        };
        using var host = BuildHost(cluster, "g-latency", probe, o => o.CommitInterval = TimeSpan.FromMilliseconds(30));
        await host.StartAsync(cts.Token);

        await using var check = new KafkaConsumer<Ignore, Ignore>(new ConsumerOptions { BootstrapServers = cluster.BootstrapServers, GroupId = "g-latency" });
        var partitions = new[] { new TopicPartition("latency", 0), new TopicPartition("latency", 1) };
        var samples = 0;
        var outOfOrder = 0;
        while (probe.Count < 800)
        {
            cts.Token.ThrowIfCancellationRequested();
            var committed = await check.CommittedAsync(partitions, cts.Token);
            foreach (var (partition, offset) in committed)
            {
                if (offset is null || offset.Offset == 0) continue;
                samples++;
                var done = probe.Completed.GetValueOrDefault((partition.Topic, partition.Partition));
                for (long o = 0; o < offset.Offset; o++)
                    Assert.True(done?.ContainsKey(o) == true, $"{partition} committed {offset.Offset} while offset {o} was unfinished.");
                // Records complete out of order (that is what makes the check meaningful).
                if (done is not null && done.Keys.Any(o => o > offset.Offset)) outOfOrder++;
            }
        }
        await host.StopAsync(cts.Token);
        Assert.True(samples >= 5, $"Only {samples} committed offsets were sampled during the run.");
        Assert.True(outOfOrder >= 1, "No sample saw a record completed beyond the committed offset.");
        foreach (var partition in partitions) Assert.Equal(400, await CommittedAsync(cluster, "g-latency", partition, cts.Token));
    }
}
