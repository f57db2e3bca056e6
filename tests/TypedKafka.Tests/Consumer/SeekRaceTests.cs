using System.Text;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>
/// A position the user sets wins over any lookup or fetch in flight when it was set (issue 16): a fresh consumer with
/// <c>AutoOffsetReset.Latest</c> that calls <c>Assign</c> and at once <c>SeekToBeginning</c> must read from the log start.
/// </summary>
public sealed class SeekRaceTests
{
    private const int Partitions = 4;
    private const int RecordsPerCodec = 200;

    [Fact]
    public async Task SeekToBeginning_made_right_after_the_fetcher_planned_the_Latest_reset_wins_over_it()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Latest));
        var seeked = SeekOnceWhenLookupsArePlanned(consumer, () => consumer.SeekToBeginning());

        consumer.Assign([Tp]);
        await seeked.WaitAsync(cts.Token);

        var received = await ConsumeAsync(consumer, 100, cts.Token);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), received.Select(r => r.Offset));
    }

    [Fact]
    public async Task SeekToEnd_made_right_after_the_fetcher_planned_the_Earliest_reset_wins_over_it()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Earliest));
        var seeked = SeekOnceWhenLookupsArePlanned(consumer, () => consumer.SeekToEnd());

        consumer.Assign([Tp]);
        await seeked.WaitAsync(cts.Token);

        Assert.Equal(100, await consumer.PositionAsync(Tp, cts.Token));
        await ProduceAsync(cluster, "t", 1, 10, cts.Token, start: 100);
        var received = await ConsumeAsync(consumer, 10, cts.Token);
        Assert.Equal(Enumerable.Range(100, 10).Select(i => (long)i), received.Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(100, 10).Select(i => $"v{i}"), received.Select(r => r.Value));
    }

    [Fact]
    public async Task Seek_to_an_offset_made_right_after_the_fetcher_planned_a_reset_wins_over_it()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Latest));
        var seeked = SeekOnceWhenLookupsArePlanned(consumer, () => consumer.Seek(Tp, 40));

        consumer.Assign([Tp]);
        await seeked.WaitAsync(cts.Token);

        var received = await ConsumeAsync(consumer, 60, cts.Token);
        Assert.Equal(Enumerable.Range(40, 60).Select(i => (long)i), received.Select(r => r.Offset));
    }

    [Fact]
    public async Task SeekToBeginning_made_right_after_the_fetcher_planned_the_committed_offset_lookup_wins_over_it()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        var group = $"seek-race-{Guid.NewGuid():N}";
        await using (var committer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.GroupId = group)))
        {
            committer.Assign([Tp]);
            await committer.CommitAsync(new Dictionary<TopicPartition, OffsetAndMetadata> { [Tp] = new(50) }, cts.Token);
        }
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o =>
        {
            o.GroupId = group;
            o.EnableAutoCommit = false;
        }));
        var seeked = SeekOnceWhenLookupsArePlanned(consumer, () => consumer.SeekToBeginning());

        consumer.Assign([Tp]);
        await seeked.WaitAsync(cts.Token);

        var received = await ConsumeAsync(consumer, 100, cts.Token);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), received.Select(r => r.Offset));
    }

    [Fact]
    public async Task SeekToBeginning_made_while_the_Latest_reset_answer_is_held_by_the_broker_wins_over_it()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster, o => o.AutoOffsetReset = AutoOffsetReset.Latest));
        cluster.StartRequestTracking();
        cluster.SetBrokerRtt(1, TimeSpan.FromMilliseconds(500));

        consumer.Assign([Tp]);
        await Eventually.TrueAsync(() => cluster.TrackedRequests.Any(r => r.ApiKey == ApiKey.ListOffsets), Deadline, "the reset's ListOffsets reaches the broker", cts.Token);
        consumer.SeekToBeginning();
        cluster.SetBrokerRtt(1, TimeSpan.Zero);

        var received = await ConsumeAsync(consumer, 100, cts.Token);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), received.Select(r => r.Offset));
    }

    [Fact]
    public async Task Seek_made_while_a_fetch_for_the_old_position_is_in_flight_drops_that_fetch_s_records()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await StartWithRecordsAsync(100, cts.Token);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster));
        consumer.Assign([Tp]);
        Assert.Equal(0, await consumer.PositionAsync(Tp, cts.Token));
        cluster.StartRequestTracking();
        cluster.SetBrokerRtt(1, TimeSpan.FromMilliseconds(500));
        consumer.Seek(Tp, 10); // a fetch from 10 goes out, held by the broker's RTT

        await Eventually.TrueAsync(() => cluster.TrackedRequests.Any(r => r.ApiKey == ApiKey.Fetch), Deadline, "a fetch from offset 10 reaches the broker", cts.Token);
        consumer.Seek(Tp, 60);
        cluster.SetBrokerRtt(1, TimeSpan.Zero);

        var received = await ConsumeAsync(consumer, 40, cts.Token);
        Assert.Equal(Enumerable.Range(60, 40).Select(i => (long)i), received.Select(r => r.Offset));
        Assert.Empty(await consumer.PollAsync(TimeSpan.FromMilliseconds(300), cancellationToken: cts.Token));
    }

    private static readonly TopicPartition Tp = new("t", 0);

    private static async Task<KafkaTestCluster> StartWithRecordsAsync(int count, CancellationToken cancellationToken)
    {
        var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 1);
        await ProduceAsync(cluster, "t", 1, count, cancellationToken);
        return cluster;
    }

    /// <summary>Makes <paramref name="seek"/> run on the fetcher loop the first time it has planned position lookups,
    /// before their tasks start: deterministically the instant after the reset was planned.</summary>
    private static Task SeekOnceWhenLookupsArePlanned<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer, Action seek)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        consumer.Core.LookupsPlanned = () =>
        {
            if (done.Task.IsCompleted) return;
            consumer.Core.LookupsPlanned = null;
            try
            {
                seek();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        };
        return done.Task;
    }

    [Fact]
    public async Task Assign_then_SeekToBeginning_at_once_never_loses_the_seek_in_200_fresh_consumers_beside_a_cpu_burner()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        const int clusters = 4;
        const int runsPerCluster = 50;
        using var burner = new CpuBurner(Environment.ProcessorCount);

        var failures = await Task.WhenAll(Enumerable.Range(0, clusters).Select(c => Task.Run(async () =>
        {
            await using var cluster = await KafkaTestCluster.StartAsync(3);
            cluster.CreateTopic("t", Partitions);
            var expected = await LoadWithEveryCodecAsync(cluster, cts.Token);
            var lost = new List<string>();
            for (var run = 0; run < runsPerCluster; run++)
            {
                if (await ReadAllFromBeginningAsync(cluster, expected, cts.Token) is { } failure)
                    lost.Add($"cluster {c} run {run}: {failure}");
            }
            return lost;
        })));

        var all = failures.SelectMany(f => f).ToList();
        Assert.True(all.Count == 0, $"{all.Count} of {clusters * runsPerCluster} runs lost the seek:\n{string.Join("\n", all.Take(10))}");
    }

    /// <summary>Five producers, one per codec, 0-3 headers per record, spread over the partitions. Returns the values
    /// per partition in offset order.</summary>
    private static async Task<Dictionary<int, List<string>>> LoadWithEveryCodecAsync(KafkaTestCluster cluster, CancellationToken cancellationToken)
    {
        var byPartition = Enumerable.Range(0, Partitions).ToDictionary(p => p, _ => new SortedDictionary<long, string>());
        foreach (var codec in Enum.GetValues<TestCompression>())
        {
            using var producer = cluster.CreateProducer(new TestProducerOptions { Compression = codec });
            var records = Enumerable.Range(0, RecordsPerCodec).Select(i =>
            {
                var value = $"{codec}-{i}";
                return new TestRecord(Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes(value))
                {
                    Partition = i % Partitions,
                    Headers = [.. Enumerable.Range(0, i % 4).Select(h => new KeyValuePair<string, byte[]?>($"h{h}", Encoding.UTF8.GetBytes(value)))],
                };
            }).ToList();
            var produced = await producer.ProduceAsync("t", records, cancellationToken);
            for (var i = 0; i < records.Count; i++) byPartition[produced[i].Partition][produced[i].Offset] = Encoding.UTF8.GetString(records[i].Value!);
        }
        return byPartition.ToDictionary(p => p.Key, p => p.Value.Values.ToList());
    }

    /// <summary>The new user's sequence: fresh consumer (reset Latest), Assign all, SeekToBeginning at once, poll. Returns
    /// null when every record arrived from offset 0 in order, else what went wrong.</summary>
    private static async Task<string?> ReadAllFromBeginningAsync(KafkaTestCluster cluster, Dictionary<int, List<string>> expected, CancellationToken cancellationToken)
    {
        await using var consumer = new KafkaConsumer<byte[]?, byte[]?>(Options(cluster, o =>
        {
            o.AutoOffsetReset = AutoOffsetReset.Latest;
            o.EnableAutoCommit = false;
        }));
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition("t", p)).ToArray();
        consumer.Assign(partitions);
        // "At once", give or take what a busy host adds: sweeping the gap makes the seek land, now and then, in the
        // microseconds after the fetcher planned the Latest reset (in a fresh process the JIT opened that window).
        SpinFor(TimeSpan.FromTicks(Random.Shared.Next(0, 500)));
        consumer.SeekToBeginning();
        foreach (var tp in partitions)
        {
            var position = await consumer.PositionAsync(tp, cancellationToken);
            if (position != 0) return $"{tp}: position {position} after SeekToBeginning";
        }

        var total = expected.Values.Sum(v => v.Count);
        var received = Enumerable.Range(0, Partitions).ToDictionary(p => p, _ => new List<string>());
        var count = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (count < total && DateTime.UtcNow < deadline)
        {
            foreach (var record in await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cancellationToken))
            {
                var values = received[record.Partition];
                if (record.Offset != values.Count)
                    return $"{record.TopicPartition} handed out offset {record.Offset} after {values.Count} records";
                values.Add(Encoding.UTF8.GetString(record.Value!));
                count++;
            }
        }
        if (count < total)
        {
            var positions = new List<string>();
            foreach (var tp in partitions) positions.Add($"{tp}: position {await consumer.PositionAsync(tp, cancellationToken)}, highwater {consumer.Highwater(tp)}");
            return $"{count} of {total} records within 15 s; {string.Join("; ", positions)}";
        }
        foreach (var (partition, values) in expected)
        {
            if (!values.SequenceEqual(received[partition])) return $"partition {partition}: values differ from what was written";
        }
        return null;
    }

    private static void SpinFor(TimeSpan time)
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
    }

    /// <summary>Threads that spin until disposed, to widen scheduling windows the way a busy host does.</summary>
    private sealed class CpuBurner : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread[] _threads;

        public CpuBurner(int threads)
        {
            _threads = [.. Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                var x = 0UL;
                while (!_stop.IsCancellationRequested) x = x * 6364136223846793005UL + 1;
                GC.KeepAlive(x);
            }) { IsBackground = true, Priority = ThreadPriority.BelowNormal })];
            foreach (var thread in _threads) thread.Start();
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var thread in _threads) thread.Join();
            _stop.Dispose();
        }
    }
}
