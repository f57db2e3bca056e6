using System.Diagnostics;
using System.Globalization;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The TypedKafka consumers: all partitions assigned, AutoOffsetReset earliest, no group; the clock runs from the first
/// poll to the last record. Construction, Assign and DisposeAsync are outside the measured span.
/// </summary>
internal sealed class TypedKafkaRuns(BenchmarkSettings settings, string bootstrapServers, Func<TimeSpan> brokerCpu)
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(1);

    private ConsumerOptions Options()
    {
        var options = new ConsumerOptions
        {
            BootstrapServers = bootstrapServers,
            ClientId = "typedkafka-bench",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        options.ApplySettings(settings.TypedKafkaSettings);
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
            consumer.Assign(Partitions());
            var meter = new RunMeter(brokerCpu);
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, RunName(consumer), () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
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
            }
            var result = meter.Stop("tk-raw", count, bytes);
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result) + (stalls is null ? "" : "; " + stalls.Summary) };
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
            consumer.Assign(Partitions());
            var meter = new RunMeter(brokerCpu);
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, RunName(consumer), () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
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
            }
            var result = meter.Stop("tk-spans", count, bytes);
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result) + (stalls is null ? "" : "; " + stalls.Summary) };
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
    public async Task<RunResult> TypedAsync(long expected)
    {
        var consumer = new KafkaConsumer<Ignore, Order?>(Options(), valueDeserializer: new TypedKafkaStjOrderDeserializer());
        StallProbe? stalls = null;
        try
        {
            consumer.Assign(Partitions());
            var meter = new RunMeter(brokerCpu);
            var probe = new CallerProbe(settings.Breakdown);
            var progress = new ProgressBox();
            long count = 0, bytes = 0, quantity = 0;
            stalls = settings.Stalls || settings.Timeline ? new StallProbe(consumer.Core, RunName(consumer), () => Volatile.Read(ref progress.Records), settings.Timeline) : null;
            meter.Start();
            var started = Stopwatch.GetTimestamp();
            while (count < expected)
            {
                Volatile.Write(ref progress.Records, count);
                CheckTimeout(started, count, expected);
                probe.BeforePoll();
                var pending = consumer.PollAsync(PollTimeout);
                ConsumerRecords<Ignore, Order?> records;
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
                    quantity += record.Value!.Qty;
                    bytes += record.SerializedKeySize + record.SerializedValueSize;
                }
                probe.AfterRead(records.IsEmpty);
            }
            var result = meter.Stop("tk-typed", count, bytes);
            if (quantity <= 0) throw new InvalidOperationException("tk-typed: no quantity was read.");
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            return result with { Notes = Notes(consumer.Metrics(), probe, result) + (stalls is null ? "" : "; " + stalls.Summary) };
        }
        finally
        {
            if (stalls is not null) await stalls.DisposeAsync().ConfigureAwait(false);
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string RunName<TKey, TValue>(KafkaConsumer<TKey, TValue> consumer) =>
        typeof(TValue) == typeof(Ignore) ? "tk-spans" : typeof(TValue) == typeof(Order) ? "tk-typed" : "tk-raw";

    private sealed class ProgressBox
    {
        public long Records;
    }

    private void CheckTimeout(long started, long count, long expected)
    {
        if (Stopwatch.GetElapsedTime(started) > settings.RunTimeout)
            throw new TimeoutException($"Read {count:N0} of {expected:N0} records in {settings.RunTimeout.TotalSeconds:0} s.");
    }

    private static string Notes(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> metrics, CallerProbe probe, RunResult result)
    {
        var fetch = metrics["consumer-fetch-manager-metrics"];
        var fetches = fetch["fetch-total"];
        var text = string.Create(CultureInfo.InvariantCulture,
            $"fetches {fetches:0} ({(fetches > 0 ? result.Records / fetches : 0):0} rec/fetch, avg {fetch["fetch-latency-avg"]:0.0} ms, max {fetch["fetch-latency-max"]:0} ms)");
        return probe.Enabled ? text + "; " + probe.Describe(result) : text;
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
