namespace TypedKafka.Benchmarks.EndToEnd;

// Inside the namespace so that Confluent's names win over TypedKafka's in the Confluent run.
using System.Diagnostics;
using Confluent.Kafka;

/// <summary>
/// The producer modes (<c>tk-produce</c>, <c>cf-produce</c>): each run writes <c>--records</c> keyed records (8-byte
/// keys, 100-byte JSON values, the consumer data's) to the topic <see cref="Topic"/> that the broker child creates,
/// with linger 5 ms, acks all and idempotence, and ends when the last record is acknowledged. Keys and values are made
/// before the clock starts (10,000 distinct pairs, cycled), so the figures are the clients' own; both partition keys
/// with murmur2 (Confluent's <c>murmur2_random</c>), so the partitions get the same load.
/// </summary>
internal sealed class ProducerRuns(BenchmarkSettings settings, string bootstrapServers, Func<TimeSpan> brokerCpu)
{
    public const string Topic = "produced";
    private const int Distinct = 10_000;

    /// <summary>How many records may wait for acknowledgement at once (both clients buffer that many at most).</summary>
    private const int Window = 100_000;

    private readonly byte[][] _keys = [.. Enumerable.Range(0, Distinct).Select(Data.Key)];
    private readonly byte[][] _values = [.. Enumerable.Range(0, Distinct).Select(Data.Value)];

    /// <summary><c>KafkaProducer&lt;byte[], byte[]&gt;.ProduceAsync</c>, awaiting the oldest record once <see cref="Window"/> wait.</summary>
    public async Task<RunResult> TypedKafkaAsync(long records)
    {
        var options = new ProducerOptions
        {
            BootstrapServers = bootstrapServers,
            ClientId = "tk-produce",
            Linger = TimeSpan.FromMilliseconds(5),
            Acks = TypedKafka.Acks.All,
            EnableIdempotence = true,
        };
        options.ApplySettings(settings.ProducerSettings);
        await using var producer = new KafkaProducer<byte[], byte[]>(options);
        // Metadata and the producer id come before the clock, as librdkafka has them before its first batch.
        await producer.ProduceAsync(Topic, _keys[0], _values[0]).ConfigureAwait(false);

        var window = new ValueTask<DeliveryResult>[Window];
        var meter = new RunMeter(brokerCpu);
        meter.Start();
        long bytes = 0;
        for (long i = 0; i < records; i++)
        {
            var slot = (int)(i % Window);
            if (i >= Window) await window[slot].ConfigureAwait(false);
            var key = _keys[i % Distinct];
            var value = _values[i % Distinct];
            window[slot] = producer.ProduceAsync(Topic, key, value);
            bytes += key.Length + value.Length;
        }
        for (long i = Math.Max(0, records - Window); i < records; i++) await window[(int)(i % Window)].ConfigureAwait(false);
        return meter.Stop("tk-produce", records, bytes);
    }

    /// <summary>Confluent.Kafka's fastest path: <c>Produce</c> with a delivery handler (no Task per record), polling
    /// when librdkafka's queue is full; <c>Flush</c> at the end.</summary>
    public RunResult Confluent(long records)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "cf-produce",
            LingerMs = 5,
            Acks = global::Confluent.Kafka.Acks.All,
            EnableIdempotence = true,
            Partitioner = Partitioner.Murmur2Random,
            QueueBufferingMaxMessages = Window,
        };
        foreach (var (key, value) in settings.ConfluentSettings) config.Set(key, value);
        using var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        producer.ProduceAsync(Topic, new Message<byte[], byte[]> { Key = _keys[0], Value = _values[0] }).GetAwaiter().GetResult();

        long delivered = 0, failed = 0;
        Error? firstError = null;
        void Handler(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, report.Error, null);
            }
            Interlocked.Increment(ref delivered);
        }
        var meter = new RunMeter(brokerCpu);
        meter.Start();
        long bytes = 0;
        var started = Stopwatch.GetTimestamp();
        for (long i = 0; i < records; i++)
        {
            var key = _keys[i % Distinct];
            var value = _values[i % Distinct];
            var message = new Message<byte[], byte[]> { Key = key, Value = value };
            while (true)
            {
                try
                {
                    producer.Produce(Topic, message, Handler);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }
            bytes += key.Length + value.Length;
        }
        while (Interlocked.Read(ref delivered) < records)
        {
            producer.Flush(TimeSpan.FromMilliseconds(100));
            if (Stopwatch.GetElapsedTime(started) > settings.RunTimeout)
                throw new TimeoutException($"cf-produce: {Interlocked.Read(ref delivered)} of {records} acknowledged within {settings.RunTimeout.TotalSeconds} s.");
        }
        var result = meter.Stop("cf-produce", records, bytes);
        if (failed > 0) throw new InvalidOperationException($"cf-produce: {failed} records failed, first: {firstError}");
        return result;
    }
}
