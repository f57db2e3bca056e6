using TypedKafka.Testing;
using static TypedKafka.Hosting.Tests.EngineTestSupport;

namespace TypedKafka.Hosting.Tests;

/// <summary>Batch handlers end to end: size, wait, one partition per batch in offset order, commit only after success,
/// retry as a whole, and a record handler beside a batch handler on one topic.</summary>
[Collection(nameof(BatchTests))] // BatchValuesHandler.Fail is static
public sealed class BatchTests
{
    [Fact]
    public async Task Batches_hold_one_partition_in_offset_order_at_most_MaxBatchSize_and_carry_each_message_context()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("batches-ctx", 2);
        await cluster.ProduceAsync("batches-ctx", Enumerable.Range(0, 60).Select(i => Seq($"k{i % 2}", i / 2, i % 2)), cts.Token);
        var probe = new Probe();
        using var host = BuildHost(cluster, "g-batch-ctx", probe);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Batches.Sum(b => b.Count) >= 60, Patience, "60 records in batches", cts.Token);
        await host.StopAsync(cts.Token);

        var batches = probe.Batches.ToList();
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 7));
        Assert.All(batches, b => Assert.Single(b.Select(m => m.Partition).Distinct()));
        foreach (var partition in batches.SelectMany(b => b).GroupBy(m => m.Partition))
        {
            Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), partition.Select(m => m.Offset)); // in order, each once
            Assert.All(partition, m => Assert.Equal($"k{partition.Key}", m.Key)); // the message's own key bytes
            Assert.All(partition, m => Assert.Equal(m.Offset, m.N));
        }
        Assert.Contains(batches, b => b.Count == 7); // 30 records at once make full batches
        Assert.Equal(30, await CommittedAsync(cluster, "g-batch-ctx", new("batches-ctx", 1), cts.Token));
    }

    [Fact]
    public async Task A_partial_batch_waits_MaxBatchWaitMs_for_more_records()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("batches", 1);
        var probe = new Probe();
        BatchValuesHandler.Fail = null;
        using var host = BuildHost(cluster, "g-batch", probe);
        await host.StartAsync(cts.Token);
        await host.Readiness().WhenReadyAsync(cts.Token);
        // Three records produced one by one (each acknowledged before the next): without the 500 ms wait each would be
        // a batch of its own.
        for (var i = 0; i < 3; i++) await cluster.ProduceAsync("batches", [Seq("k", i, 0)], cts.Token);
        await Eventually.TrueAsync(() => probe.Batches.Sum(b => b.Count) >= 3, Patience, "3 records in batches", cts.Token);
        // Then 25 at once: batches of 10, 10 and 5 (the 5 after the wait).
        await cluster.ProduceAsync("batches", Enumerable.Range(3, 25).Select(i => Seq("k", i, 0)), cts.Token);
        await Eventually.TrueAsync(() => probe.Batches.Sum(b => b.Count) >= 28, Patience, "28 records in batches", cts.Token);
        await host.StopAsync(cts.Token);

        var batches = probe.Batches.ToList();
        Assert.Equal(3, batches[0].Count);
        Assert.Equal(Enumerable.Range(0, 28), batches.SelectMany(b => b).Select(m => m.N));
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 10));
        Assert.Equal([3, 10, 10, 5], batches.Select(b => b.Count));
    }

    [Fact]
    public async Task A_failing_batch_is_retried_as_a_whole_and_committed_only_after_it_succeeds()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("batches", 1);
        await cluster.ProduceAsync("batches", Enumerable.Range(0, 10).Select(i => Seq("k", i, 0)), cts.Token);
        var probe = new Probe();
        var attempts = 0;
        var failing = true;
        var seen = new List<int[]>();
        BatchValuesHandler.Fail = messages =>
        {
            lock (seen) seen.Add([.. messages.Select(m => m.N)]);
            Interlocked.Increment(ref attempts);
            return Volatile.Read(ref failing) ? Task.FromException(new InvalidOperationException("batch fails")) : Task.CompletedTask;
        };
        try
        {
            using var host = BuildHost(cluster, "g-batch", probe);
            await host.StartAsync(cts.Token);
            await Eventually.TrueAsync(() => Volatile.Read(ref attempts) >= 3, Patience, "three failed attempts", cts.Token);
            // Failing: nothing of the batch is committed (commits run every 100 ms meanwhile; offset 0, the batch's
            // first record, is the most that may be).
            Assert.True(await CommittedAsync(cluster, "g-batch", new("batches", 0), cts.Token) is null or 0);
            Volatile.Write(ref failing, false);
            await Eventually.TrueAsync(() => probe.Batches.Count >= 1, Patience, "the batch to succeed", cts.Token);
            await Eventually.TrueAsync(async () => await CommittedAsync(cluster, "g-batch", new("batches", 0), cts.Token) == 10, Patience, "the batch to be committed", cts.Token);
            await host.StopAsync(cts.Token);
        }
        finally
        {
            BatchValuesHandler.Fail = null;
        }
        lock (seen) Assert.All(seen, s => Assert.Equal(Enumerable.Range(0, 10), s)); // the same batch every time
        Assert.Equal(Enumerable.Range(0, 10), probe.Batches.Single().Select(m => m.N));
    }

    [Fact]
    public async Task A_record_handler_retrying_beside_a_batch_handler_does_not_feed_the_batch_twice()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("mixed", 1);
        await cluster.ProduceAsync("mixed", Enumerable.Range(0, 12).Select(i => Seq("k", i, 0)), cts.Token);
        var probe = new Probe();
        var failures = 0;
        probe.Behaviour = (_, message, _) => message.N == 1 && Interlocked.Increment(ref failures) <= 3
            ? Task.FromException(new InvalidOperationException("fails three times"))
            : Task.CompletedTask;
        using var host = BuildHost(cluster, "g-mixed", probe);
        await host.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => probe.Count >= 12 && probe.Batches.Sum(b => b.Count) >= 12, Patience, "both handlers to see 12 records", cts.Token);
        await Eventually.TrueAsync(async () => await CommittedAsync(cluster, "g-mixed", new("mixed", 0), cts.Token) == 12, Patience, "12 committed", cts.Token);
        await host.StopAsync(cts.Token);

        Assert.Equal(Enumerable.Range(0, 12), probe.Handled.Select(h => h.N));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), probe.Batches.SelectMany(b => b).Select(m => m.Offset));
        Assert.All(probe.Batches, b => Assert.InRange(b.Count, 1, 4));
    }
}
