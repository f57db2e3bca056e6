using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using TypedKafka.Testing.Native;

namespace TypedKafka.Testing;

/// <summary>
/// A producer for seeding test data, independent of TypedKafka: it wraps Confluent.Kafka (librdkafka), so tests of
/// TypedKafka's consumer read bytes that another implementation wrote. The wrapper keeps the choice replaceable.
/// </summary>
public sealed class TestProducer : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly TestProducerOptions _options;
    private readonly SemaphoreSlim _transactionGate = new(1, 1);
    private bool _transactionsInitialized;

    internal TestProducer(string bootstrapServers, TestProducerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ConfluentNativeBinding.Ensure();
        _options = options;
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "typedkafka-test-producer",
            EnableIdempotence = options.TransactionalId is not null || options.Idempotent,
            Acks = Acks.All,
            LingerMs = options.Linger.TotalMilliseconds,
            CompressionType = options.Compression switch
            {
                TestCompression.None => CompressionType.None,
                TestCompression.Gzip => CompressionType.Gzip,
                TestCompression.Snappy => CompressionType.Snappy,
                TestCompression.Lz4 => CompressionType.Lz4,
                TestCompression.Zstd => CompressionType.Zstd,
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Compression, "Unknown compression."),
            },
            TransactionalId = options.TransactionalId,
            MessageTimeoutMs = (int)options.MessageTimeout.TotalMilliseconds,
            BatchNumMessages = options.BatchNumMessages,
            QueueBufferingMaxMessages = 1_000_000,
        };
        foreach (var (key, value) in options.Extra) config.Set(key, value);
        _producer = new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>A producer for any cluster (e.g. a real one given to a sample), not only an embedded one.</summary>
    public static TestProducer Create(string bootstrapServers, TestProducerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(bootstrapServers);
        return new TestProducer(bootstrapServers, options);
    }

    /// <summary>librdkafka's version string as Confluent.Kafka sees it (to check it bound the expected library).</summary>
    public static string NativeVersion
    {
        get
        {
            ConfluentNativeBinding.Ensure();
            return Library.VersionString;
        }
    }

    /// <summary>Writes <paramref name="records"/> to <paramref name="topic"/> and waits until all are acknowledged.
    /// Order is kept per partition. Throws when any record fails.</summary>
    public async Task<IReadOnlyList<ProducedRecord>> ProduceAsync(string topic, IEnumerable<TestRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(records);
        var pending = new List<Task<DeliveryResult<byte[]?, byte[]?>>>();
        foreach (var record in records)
        {
            var message = ToMessage(record);
            var target = record.Partition is int p ? new TopicPartition(topic, new Partition(p)) : null;
            pending.Add(target is null
                ? _producer.ProduceAsync(topic, message, cancellationToken)
                : _producer.ProduceAsync(target, message, cancellationToken));
        }
        _producer.Flush(cancellationToken);
        var results = await Task.WhenAll(pending).ConfigureAwait(false);
        return results.Select(r => new ProducedRecord(r.Topic, r.Partition.Value, r.Offset.Value)).ToArray();
    }

    /// <summary>Writes <paramref name="count"/> records made by <paramref name="factory"/> as fast as librdkafka can,
    /// for loading benchmark data. Returns once all are acknowledged; throws with the first error.</summary>
    public Task ProduceManyAsync(string topic, int count, Func<int, TestRecord> factory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(factory);
        return Task.Run(() =>
        {
            Error? firstError = null;
            var delivered = 0;
            void Handler(DeliveryReport<byte[]?, byte[]?> report)
            {
                if (report.Error.IsError) Interlocked.CompareExchange(ref firstError, report.Error, null);
                Interlocked.Increment(ref delivered);
            }
            for (var i = 0; i < count; i++)
            {
                var record = factory(i);
                var message = ToMessage(record);
                while (true)
                {
                    try
                    {
                        if (record.Partition is int p) _producer.Produce(new TopicPartition(topic, new Partition(p)), message, Handler);
                        else _producer.Produce(topic, message, Handler);
                        break;
                    }
                    catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        _producer.Poll(TimeSpan.FromMilliseconds(50));
                    }
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
            _producer.Flush(cancellationToken);
            if (firstError is not null) throw new InvalidOperationException($"Producing to '{topic}' failed: {firstError.Reason} ({firstError.Code}).");
            if (delivered != count) throw new InvalidOperationException($"Only {delivered} of {count} records to '{topic}' were acknowledged.");
        }, cancellationToken);
    }

    /// <summary>Writes <paramref name="records"/> in one transaction and commits or aborts it, so the log holds the
    /// records followed by a COMMIT or ABORT control batch. Needs <see cref="TestProducerOptions.TransactionalId"/>.</summary>
    public async Task<IReadOnlyList<ProducedRecord>> ProduceTransactionAsync(string topic, IEnumerable<TestRecord> records, bool commit, CancellationToken cancellationToken = default)
    {
        if (_options.TransactionalId is null)
            throw new InvalidOperationException("This producer has no TransactionalId; set TestProducerOptions.TransactionalId to write transactions.");
        await _transactionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var timeout = _options.MessageTimeout;
            if (!_transactionsInitialized)
            {
                await Task.Run(() => _producer.InitTransactions(timeout), cancellationToken).ConfigureAwait(false);
                _transactionsInitialized = true;
            }
            _producer.BeginTransaction();
            var produced = await ProduceAsync(topic, records, cancellationToken).ConfigureAwait(false);
            if (commit) await Task.Run(() => _producer.CommitTransaction(timeout), cancellationToken).ConfigureAwait(false);
            else await Task.Run(() => _producer.AbortTransaction(timeout), cancellationToken).ConfigureAwait(false);
            return produced;
        }
        finally
        {
            _transactionGate.Release();
        }
    }

    /// <summary>Waits up to 5 s for records still in flight, then closes the Confluent.Kafka producer.</summary>
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        _transactionGate.Dispose();
    }

    private static Message<byte[]?, byte[]?> ToMessage(TestRecord record)
    {
        var message = new Message<byte[]?, byte[]?> { Key = record.Key, Value = record.Value };
        if (record.Timestamp is DateTimeOffset ts) message.Timestamp = new Timestamp(ts);
        if (record.Headers is { Count: > 0 } headers)
        {
            message.Headers = [];
            foreach (var (key, value) in headers) message.Headers.Add(key, value);
        }
        return message;
    }
}

/// <summary>One record to write. Null key and null value are written as null (not empty).</summary>
public sealed record TestRecord(byte[]? Key, byte[]? Value)
{
    /// <summary>The partition to write to; null lets the producer's partitioner choose (by key hash).</summary>
    public int? Partition { get; init; }

    /// <summary>Headers, in order; a null value is written as a null header value.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]?>>? Headers { get; init; }

    /// <summary>The create time; null lets the producer stamp it.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>A record whose key and value are UTF-8 text (null stays null).</summary>
    public static TestRecord Utf8(string? key, string? value, int? partition = null) =>
        new(key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value)) { Partition = partition };
}

/// <summary>Where a record was written.</summary>
public readonly record struct ProducedRecord(string Topic, int Partition, long Offset);

/// <summary>Compression codecs the test producer can use.</summary>
public enum TestCompression
{
    /// <summary>Uncompressed batches.</summary>
    None,
    /// <summary>gzip (Kafka compression type 1).</summary>
    Gzip,
    /// <summary>Snappy (type 2).</summary>
    Snappy,
    /// <summary>LZ4 frames (type 3).</summary>
    Lz4,
    /// <summary>Zstandard (type 4; needs Produce v7 or newer).</summary>
    Zstd,
}

/// <summary>Settings of a <see cref="TestProducer"/>.</summary>
public sealed class TestProducerOptions
{
    /// <summary>The codec of the batches the producer writes (librdkafka's compression.codec). Default none.</summary>
    public TestCompression Compression { get; set; } = TestCompression.None;

    /// <summary>How long the producer waits to fill a batch (librdkafka's linger.ms). Default 5 ms.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Records per batch at most (librdkafka's batch.num.messages). Default 10,000.</summary>
    public int BatchNumMessages { get; set; } = 10_000;

    /// <summary>Makes the producer transactional (and idempotent), for <see cref="TestProducer.ProduceTransactionAsync"/>.</summary>
    public string? TransactionalId { get; set; }

    /// <summary>Idempotent writes (KIP-98), which also keep order under retries. Default true.</summary>
    public bool Idempotent { get; set; } = true;

    /// <summary>How long a record may take to be acknowledged before it fails. Default 30 s.</summary>
    public TimeSpan MessageTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Any other librdkafka producer setting, by its dotted name.</summary>
    public IDictionary<string, string> Extra { get; } = new Dictionary<string, string>();
}

/// <summary>
/// Points Confluent.Kafka at the same librdkafka file the embedded cluster loaded. Without this it binds to
/// whatever librdkafka the system has (Debian's 2.0.2) or fails looking for "libdl".
/// </summary>
internal static class ConfluentNativeBinding
{
    private static readonly object Gate = new();
    private static bool _done;

    public static void Ensure()
    {
        lock (Gate)
        {
            if (_done) return;
            var library = LibrdkafkaLibrary.Load();
            NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, (name, _, _) =>
            {
                if (name.Contains("rdkafka", StringComparison.Ordinal)) return library.Handle;
                if (name == "libdl" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libdl.so.2", out var dl)) return dl;
                return IntPtr.Zero;
            });
            _done = true;
        }
    }
}
