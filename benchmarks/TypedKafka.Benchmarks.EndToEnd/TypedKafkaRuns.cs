using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The TypedKafka consumers: all partitions assigned, AutoOffsetReset earliest, no group; the clock runs from the first
/// poll to the last record. Construction, Assign and DisposeAsync are outside the measured span.
/// </summary>
internal sealed class TypedKafkaRuns(BenchmarkSettings settings, string bootstrapServers, Func<TimeSpan> brokerCpu)
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The settings of every TypedKafka consumer (tk-framework's hosted consumer too, which adds its group).</summary>
    public ConsumerOptions Options()
    {
        var options = new ConsumerOptions
        {
            BootstrapServers = bootstrapServers,
            ClientId = "typedkafka-bench",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        options.ApplySettings(settings.TypedKafkaSettings);
        if (settings.LogLevel is { } level) options.LoggerFactory = DiagnosticLogging.Factory(level);
        return options;
    }

    private IEnumerable<TopicPartition> Partitions() =>
        Enumerable.Range(0, settings.Partitions).Select(p => new TopicPartition(settings.Topic, p));

    /// <summary><c>KafkaConsumer&lt;byte[]?, byte[]?&gt;</c> + <c>PollAsync</c>: a <c>ConsumerRecord</c> and two arrays per record.</summary>
    public async Task<RunResult> RawAsync(long expected)
    {
        var consumer = new KafkaConsumer<byte[]?, byte[]?>(Options());
        StallProbe? stalls = null;
        try
        {
            var meter = new RunMeter(brokerCpu); // before Assign, which starts fetching: see RunMeter
            consumer.Assign(Partitions());
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, RunName(consumer), () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
            var firstRecords = TimeSpan.Zero;
            while (count < expected)
            {
                Volatile.Write(ref progress.Records, count);
                CheckTimeout(started, count, expected);
                probe.BeforePoll();
                var pending = consumer.PollAsync(PollTimeout);
                ConsumerRecords<byte[]?, byte[]?> records;
                if (pending.IsCompleted)
                {
                    records = pending.Result;
                    probe.AfterPoll(synchronous: true);
                }
                else
                {
                    probe.AfterPoll(synchronous: false);
                    records = await pending.ConfigureAwait(false);
                }
                probe.BeforeRead();
                foreach (var record in records)
                {
                    count++;
                    bytes += (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0);
                }
                probe.AfterRead(records.IsEmpty);
                if (firstRecords == TimeSpan.Zero && count > 0) firstRecords = Stopwatch.GetElapsedTime(started);
            }
            var result = meter.Stop("tk-raw", count, bytes);
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result, firstRecords) + (stalls is null ? "" : "; " + stalls.Summary) };
        }
        finally
        {
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary><c>PollBatchAsync</c> + <c>ConsumerBatch.TryReadNext</c>: key/value spans, nothing built per record.</summary>
    public async Task<RunResult> SpansAsync(long expected)
    {
        var consumer = new KafkaConsumer<Ignore, Ignore>(Options());
        StallProbe? stalls = null;
        try
        {
            var meter = new RunMeter(brokerCpu); // before Assign, which starts fetching: see RunMeter
            consumer.Assign(Partitions());
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, RunName(consumer), () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
            var firstRecords = TimeSpan.Zero;
            while (count < expected)
            {
                Volatile.Write(ref progress.Records, count);
                CheckTimeout(started, count, expected);
                probe.BeforePoll();
                var pending = consumer.PollBatchAsync(PollTimeout);
                ConsumerBatch? batch;
                if (pending.IsCompleted)
                {
                    batch = pending.Result;
                    probe.AfterPoll(synchronous: true);
                }
                else
                {
                    probe.AfterPoll(synchronous: false);
                    batch = await pending.ConfigureAwait(false);
                }
                probe.BeforeRead();
                var (n, b) = batch is null ? (0, 0) : Drain(batch);
                count += n;
                bytes += b;
                probe.AfterRead(n == 0);
                if (firstRecords == TimeSpan.Zero && count > 0) firstRecords = Stopwatch.GetElapsedTime(started);
            }
            var result = meter.Stop("tk-spans", count, bytes);
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result, firstRecords) + (stalls is null ? "" : "; " + stalls.Summary) };
        }
        finally
        {
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static (long Records, long Bytes) Drain(ConsumerBatch batch)
    {
        long n = 0, bytes = 0;
        while (batch.TryReadNext(out var record))
        {
            n++;
            bytes += record.Key.Length + record.Value.Length;
        }
        return (n, bytes);
    }

    /// <summary><c>KafkaConsumer&lt;Ignore, Order?&gt;</c> with System.Text.Json's source-generated deserializer.</summary>
    public Task<RunResult> TypedAsync(long expected) =>
        TypedAsync("tk-typed", new KafkaConsumer<Ignore, Order?>(Options(), valueDeserializer: new TypedKafkaStjOrderDeserializer()), expected);

    /// <summary><c>KafkaConsumer&lt;Ignore, Order&gt;</c> with the deserializer TypedKafka's generator emitted for
    /// <see cref="OrderHandlers.Handle"/> (<c>Utf8JsonReader</c>), taken from the handler catalog: the raw typed client
    /// path that tk-framework adds dispatch and commits to.</summary>
    public Task<RunResult> TypedGeneratedAsync(long expected) =>
        TypedAsync("tk-typed-gen", new KafkaConsumer<Ignore, Order>(Options(), valueDeserializer: OrderHandlers.GeneratedDeserializer()), expected);

    /// <summary><c>PollAsync</c> and a loop over the <c>ConsumerRecord</c>s that reads every order's quantity.
    /// <typeparamref name="TValue"/> is <c>Order</c> or <c>Order?</c> (the same runtime type).</summary>
    private async Task<RunResult> TypedAsync<TValue>(string name, KafkaConsumer<Ignore, TValue> consumer, long expected)
        where TValue : class?
    {
        StallProbe? stalls = null;
        try
        {
            var meter = new RunMeter(brokerCpu); // before Assign, which starts fetching: see RunMeter
            consumer.Assign(Partitions());
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0, quantity = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, name, () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
            var firstRecords = TimeSpan.Zero;
            while (count < expected)
            {
                Volatile.Write(ref progress.Records, count);
                CheckTimeout(started, count, expected);
                probe.BeforePoll();
                var pending = consumer.PollAsync(PollTimeout);
                ConsumerRecords<Ignore, TValue> records;
                if (pending.IsCompleted)
                {
                    records = pending.Result;
                    probe.AfterPoll(synchronous: true);
                }
                else
                {
                    probe.AfterPoll(synchronous: false);
                    records = await pending.ConfigureAwait(false);
                }
                probe.BeforeRead();
                foreach (var record in records)
                {
                    count++;
                    quantity += Unsafe.As<Order>(record.Value)!.Qty;
                    bytes += record.SerializedKeySize + record.SerializedValueSize;
                }
                probe.AfterRead(records.IsEmpty);
                if (firstRecords == TimeSpan.Zero && count > 0) firstRecords = Stopwatch.GetElapsedTime(started);
            }
            var result = meter.Stop(name, count, bytes);
            if (quantity <= 0) throw new InvalidOperationException($"{name}: no quantity was read.");
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result, firstRecords) + (stalls is null ? "" : "; " + stalls.Summary) };
        }
        finally
        {
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary><c>--startups</c>: how long a new consumer takes from <c>Assign</c> to its first records (connections,
    /// metadata, the ListOffsets of the reset, the first Fetch), <paramref name="count"/> times.</summary>
    public async Task<string> StartupsAsync(int count)
    {
        var delays = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var consumer = new KafkaConsumer<Ignore, Ignore>(Options());
            try
            {
                var started = Stopwatch.GetTimestamp();
                consumer.Assign(Partitions());
                while (await consumer.PollBatchAsync(PollTimeout).ConfigureAwait(false) is null) CheckTimeout(started, 0, 1);
                var delay = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                delays.Add(delay);
                if (delay >= 100) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"startup {i + 1}: first records after {delay:0.0} ms (at {DateTime.Now:HH:mm:ss.fff})"));
            }
            finally
            {
                await consumer.DisposeAsync().ConfigureAwait(false);
            }
        }
        delays.Sort();
        double At(double q) => delays[Math.Min(delays.Count - 1, (int)(q * delays.Count))];
        return string.Create(CultureInfo.InvariantCulture,
            $"{count} consumers, Assign to first records: median {At(0.5):0.0} ms, p99 {At(0.99):0.0} ms, max {delays[^1]:0.0} ms; " +
            $"{delays.Count(d => d >= 100)} at or over 100 ms, {delays.Count(d => d >= 900)} at or over 900 ms");
    }

    private static string RunName<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer) =>
        typeof(TValue) == typeof(Ignore) ? "tk-spans" : "tk-raw";

    private sealed class ProgressBox
    {
        public long Records;
    }

    private void CheckTimeout(long started, long count, long expected)
    {
        if (Stopwatch.GetElapsedTime(started) > settings.RunTimeout)
            throw new TimeoutException($"Read {count:N0} of {expected:N0} records in {settings.RunTimeout.TotalSeconds:0} s.");
    }

    /// <param name="firstRecords">From the first poll to the end of the first poll that returned records (the
    /// connections, the metadata, the ListOffsets of the reset and the first Fetch).</param>
    private static string Notes(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> metrics, CallerProbe probe, RunResult result, TimeSpan firstRecords)
    {
        var fetch = metrics["consumer-fetch-manager-metrics"];
        var fetches = fetch["fetch-total"];
        var text = string.Create(CultureInfo.InvariantCulture,
            $"first records after {firstRecords.TotalMilliseconds:0.0} ms; fetches {fetches:0} ({(fetches > 0 ? result.Records / fetches : 0):0} rec/fetch, avg {fetch["fetch-latency-avg"]:0.0} ms, max {fetch["fetch-latency-max"]:0} ms)");
        return probe.Enabled ? text + "; " + probe.Describe(result) + "; " + PoolProbe.Describe() : text;
    }
}

/// <summary>
/// Optional (<c>--breakdown</c>) accounting on the caller's thread: bytes allocated by the synchronous part of each poll
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>, which is exact for code that does not leave the thread) and
/// by the caller's record loop; everything else (the fetcher, the socket read loops, continuations) is the total minus these.
/// </summary>
internal sealed class CallerProbe(bool enabled)
{
    private long _mark;
    public bool Enabled { get; } = enabled;
    public long Polls { get; private set; }
    public long AsyncPolls { get; private set; }
    public long EmptyPolls { get; private set; }
    public long PollBytes { get; private set; }
    public long ReadBytes { get; private set; }

    public void BeforePoll()
    {
        if (Enabled) _mark = GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>For a poll that did not complete synchronously this counts what it allocated before it went async
    /// (the state machine box, timers...).</summary>
    public void AfterPoll(bool synchronous)
    {
        if (!Enabled) return;
        PollBytes += GC.GetAllocatedBytesForCurrentThread() - _mark;
        Polls++;
        if (!synchronous) AsyncPolls++;
    }

    public void BeforeRead()
    {
        if (Enabled) _mark = GC.GetAllocatedBytesForCurrentThread();
    }

    public void AfterRead(bool empty)
    {
        if (!Enabled) return;
        ReadBytes += GC.GetAllocatedBytesForCurrentThread() - _mark;
        if (empty) EmptyPolls++;
    }

    public string Describe(RunResult result)
    {
        var rest = result.Allocated - PollBytes - ReadBytes;
        return string.Create(CultureInfo.InvariantCulture,
            $"polls {Polls:N0} ({AsyncPolls:N0} async, {EmptyPolls:N0} empty); B/record: poll {(double)PollBytes / result.Records:0.0}, " +
            $"read loop {(double)ReadBytes / result.Records:0.0}, other threads {(double)rest / result.Records:0.0}");
    }
}
