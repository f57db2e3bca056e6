namespace TypedKafka.Benchmarks.EndToEnd;

// Inside the namespace so that Confluent's names (Ignore, AutoOffsetReset, ...) win over TypedKafka's.
using System.Diagnostics;
using Confluent.Kafka;

/// <summary>
/// The Confluent.Kafka consumers, configured like the TypedKafka ones: every partition assigned (offset unset, so
/// auto.offset.reset=earliest applies), no group, no commits. Bound to the same librdkafka file as the embedded cluster
/// (see <see cref="Program"/>). The clock runs from the first Consume to the last record.
/// </summary>
internal sealed class ConfluentRuns(BenchmarkSettings settings, string bootstrapServers, Func<TimeSpan> brokerCpu)
{
    private ConsumerConfig Config(bool tuned)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "confluent-bench",
            // Confluent.Kafka refuses to build a consumer without group.id; with assign() and no commits no group is
            // joined (librdkafka only looks up the coordinator).
            GroupId = "confluent-bench-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
        };
        // librdkafka's default (1000 ms) makes the fetcher sleep whenever the local queue is above its thresholds.
        if (tuned) config.FetchQueueBackoffMs = 10;
        foreach (var (key, value) in settings.ConfluentSettings) config.Set(key, value);
        return config;
    }

    private List<TopicPartitionOffset> Partitions() =>
        [.. Enumerable.Range(0, settings.Partitions).Select(p => new TopicPartitionOffset(settings.Topic, new Partition(p), Offset.Unset))];

    /// <summary><c>IConsumer&lt;byte[], byte[]&gt;</c> + <c>Consume</c>, one record per call.</summary>
    public RunResult Bytes(string name, bool tuned, long expected)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(Config(tuned))
            .SetLogHandler(Log)
            .SetErrorHandler((_, e) => Console.Error.WriteLine($"[{name}] error: {e.Reason} ({e.Code})"))
            .Build();
        var meter = new RunMeter(brokerCpu); // before Assign, which starts fetching: see RunMeter
        consumer.Assign(Partitions());
        long count = 0, bytes = 0;
        meter.Start();
        var started = Stopwatch.GetTimestamp();
        while (count < expected)
        {
            CheckTimeout(started, count, expected);
            var result = consumer.Consume(1000);
            if (result is null || result.IsPartitionEOF) continue;
            count++;
            bytes += (result.Message.Key?.Length ?? 0) + (result.Message.Value?.Length ?? 0);
        }
        var measured = meter.Stop(name, count, bytes);
        consumer.Close();
        return measured;
    }

    /// <summary><c>IConsumer&lt;Ignore, Order?&gt;</c> with the same System.Text.Json call as tk-typed.</summary>
    public RunResult Typed(string name, bool tuned, long expected)
    {
        using var consumer = new ConsumerBuilder<Ignore, Order?>(Config(tuned))
            .SetValueDeserializer(new ConfluentStjOrderDeserializer())
            .SetLogHandler(Log)
            .SetErrorHandler((_, e) => Console.Error.WriteLine($"[{name}] error: {e.Reason} ({e.Code})"))
            .Build();
        var meter = new RunMeter(brokerCpu); // before Assign, which starts fetching: see RunMeter
        consumer.Assign(Partitions());
        long count = 0, quantity = 0;
        meter.Start();
        var started = Stopwatch.GetTimestamp();
        while (count < expected)
        {
            CheckTimeout(started, count, expected);
            var result = consumer.Consume(1000);
            if (result is null || result.IsPartitionEOF) continue;
            count++;
            quantity += result.Message.Value!.Qty;
        }
        // The key is not read (Ignore): every record of the data set is 8 + 100 bytes, as the raw runs confirm.
        var measured = meter.Stop(name, count, count * Data.RecordBytes);
        if (quantity <= 0) throw new InvalidOperationException($"{name}: no quantity was read.");
        consumer.Close();
        return measured;
    }

    private void CheckTimeout(long started, long count, long expected)
    {
        if (Stopwatch.GetElapsedTime(started) > settings.RunTimeout)
            throw new TimeoutException($"Read {count:N0} of {expected:N0} records in {settings.RunTimeout.TotalSeconds:0} s.");
    }

    private static void Log(IConsumer<byte[]?, byte[]?> consumer, LogMessage message) => LogAny(message);

    private static void Log(IConsumer<Ignore, Order?> consumer, LogMessage message) => LogAny(message);

    private static void LogAny(LogMessage message)
    {
        if (message.Level <= SyslogLevel.Warning) Console.Error.WriteLine($"[librdkafka] {message.Level} {message.Facility}: {message.Message}");
    }
}
