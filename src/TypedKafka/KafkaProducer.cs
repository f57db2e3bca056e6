using System.Buffers;
using TypedKafka.Producing;

namespace TypedKafka;

/// <summary>The outcome of one acknowledged record: where it was written and its timestamp (create time, or the
/// broker's log-append time when the topic uses it). <see cref="Offset"/> is -1 when the broker did not say (a
/// duplicate of an earlier attempt).</summary>
public readonly record struct DeliveryResult(string Topic, int Partition, long Offset, long Timestamp);

/// <summary>
/// A Kafka producer on TypedKafka's own protocol core: per-partition batching (<see cref="ProducerOptions.Linger"/>,
/// <see cref="ProducerOptions.BatchSize"/>), compression, idempotence on by default (no duplicates and no reordering
/// within a partition across retries), Java's default partitioner for keyed records (murmur2) and sticky batches for
/// null keys (KIP-480). Thread-safe: any number of threads may call <see cref="ProduceAsync"/> at once.
/// </summary>
public sealed class KafkaProducer<TKey, TValue> : IAsyncDisposable, IDisposable
{
    private static readonly Header[] NoHeaders = [];

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly ProducerCore _core;
    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;

    /// <summary>Validates <paramref name="options"/> and starts the producer (it connects when the first record comes).</summary>
    /// <exception cref="ArgumentException">An option is invalid, or no serializer was given for a type without a built-in one.</exception>
    public KafkaProducer(ProducerOptions options, ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.Validate();
        _keySerializer = keySerializer ?? Serializers.Default<TKey>()
            ?? throw new ArgumentException($"No built-in serializer for the key type {typeof(TKey)}; pass one.", nameof(keySerializer));
        _valueSerializer = valueSerializer ?? Serializers.Default<TValue>()
            ?? throw new ArgumentException($"No built-in serializer for the value type {typeof(TValue)}; pass one.", nameof(valueSerializer));
        _core = new ProducerCore(copy);
    }

    /// <summary>The settings in use (a validated copy).</summary>
    public ProducerOptions Options => _core.Options;

    internal ProducerCore Core => _core;

    /// <summary>
    /// Queues one record and completes once the broker acknowledged it (or fails with the reason it could not be
    /// written). The key, value and headers are serialized before this returns, so the caller may reuse them.
    /// </summary>
    /// <param name="topic">The topic to write to.</param>
    /// <param name="key">The key; with no <paramref name="partition"/>, its bytes choose the partition (murmur2), and
    /// a null key goes to the topic's current sticky partition.</param>
    /// <param name="value">The value.</param>
    /// <param name="headers">Record headers, in order (keys may repeat).</param>
    /// <param name="partition">A partition to write to instead of the partitioner's choice.</param>
    /// <param name="timestamp">The record's timestamp in Unix milliseconds; null uses the current time.</param>
    /// <param name="cancellationToken">Stops waiting for metadata or buffer space; a record already queued is not
    /// withdrawn (it may be written).</param>
    /// <exception cref="ObjectDisposedException">The producer is closed.</exception>
    /// <exception cref="RecordTooLargeException">The record exceeds MaxRequestSize, or the broker's limit.</exception>
    /// <exception cref="UnknownTopicOrPartitionException">No such topic after MaxBlock, or no such partition.</exception>
    /// <exception cref="KafkaAuthorizationException">Not allowed to write to the topic (or to use idempotence).</exception>
    /// <exception cref="KafkaTimeoutException">Not acknowledged within DeliveryTimeout.</exception>
    public ValueTask<DeliveryResult> ProduceAsync(string topic, TKey key, TValue value, IReadOnlyList<Header>? headers = null,
        int? partition = null, long? timestamp = null, CancellationToken cancellationToken = default)
    {
        if (!IsLegalTopic(topic))
        {
            return ValueTask.FromException<DeliveryResult>(new ArgumentException(
                $"'{topic}' is not a legal topic name (1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-', not '.' or '..').", nameof(topic)));
        }
        if (partition is < 0)
            return ValueTask.FromException<DeliveryResult>(new ArgumentOutOfRangeException(nameof(partition), partition, $"Partition {partition} of topic '{topic}' cannot exist: partitions are numbered from 0."));
        if (timestamp is < 0)
            return ValueTask.FromException<DeliveryResult>(new ArgumentOutOfRangeException(nameof(timestamp), timestamp, $"The timestamp {timestamp} for topic '{topic}' is negative; use null for the current time."));

        var scratch = t_scratch ??= new Scratch();
        scratch.Reset();
        headers ??= NoHeaders;
        bool keyPresent, valuePresent;
        try
        {
            var context = new SerializationContext(topic, partition ?? -1, IsKey: true, headers);
            keyPresent = _keySerializer.Serialize(key, scratch.Key, context);
            context = context with { IsKey = false };
            valuePresent = _valueSerializer.Serialize(value, scratch.Value, context);
            for (var i = 0; i < headers.Count; i++)
            {
                var header = headers[i];
                if (header.Key is null)
                    throw new ArgumentException($"Header {i} of a record for topic '{topic}' has a null key.", nameof(headers));
                var valueNull = header.IsValueNull;
                var size = Protocol.PooledRecordBatchWriter.HeaderEncodedSize(header.Key, valueNull ? -1 : header.Value.Length);
                var written = Protocol.PooledRecordBatchWriter.WriteHeader(scratch.Headers.GetSpan(size), header.Key, header.Value.Span, valueNull);
                scratch.Headers.Advance(written);
            }
        }
        catch (Exception e)
        {
            return ValueTask.FromException<DeliveryResult>(e);
        }
        return _core.Append(topic, partition, scratch.Key.WrittenSpan, !keyPresent, scratch.Value.WrittenSpan, !valuePresent,
            headers.Count, scratch.Headers.WrittenSpan, timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken);
    }

    /// <summary>Sends every buffered record now (not waiting for Linger) and completes once all records accepted so far
    /// are acknowledged or failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _core.FlushAsync(cancellationToken);

    /// <summary>Refuses new records, flushes within <see cref="ProducerOptions.CloseTimeout"/> (records still pending
    /// after it fail with <see cref="KafkaTimeoutException"/>) and closes the connections.</summary>
    public ValueTask DisposeAsync() => _core.DisposeAsync();

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => _core.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static bool IsLegalTopic(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > 249 || topic is "." or "..") return false;
        foreach (var c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }

    /// <summary>Per-thread buffers the key, value and headers are serialized into before they are copied into a batch.</summary>
    private sealed class Scratch
    {
        public ArrayBufferWriter<byte> Key { get; } = new(256);

        public ArrayBufferWriter<byte> Value { get; } = new(1024);

        public ArrayBufferWriter<byte> Headers { get; } = new(256);

        public void Reset()
        {
            Key.ResetWrittenCount();
            Value.ResetWrittenCount();
            Headers.ResetWrittenCount();
        }
    }
}
