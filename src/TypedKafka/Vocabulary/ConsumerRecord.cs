namespace TypedKafka;

/// <summary>One record returned by <c>PollAsync</c>/<c>ConsumeAsync</c>, with its key and value deserialized.</summary>
public sealed class ConsumerRecord<TKey, TValue>
{
    private static readonly IReadOnlyList<Header> NoHeaders = Array.Empty<Header>();

    /// <summary>Creates a record (the consumer does; tests of application code may too). Sizes are -1 when unknown.</summary>
    public ConsumerRecord(
        string topic,
        int partition,
        long offset,
        long timestamp,
        TimestampType timestampType,
        TKey key,
        TValue value,
        IReadOnlyList<Header>? headers = null,
        int? leaderEpoch = null,
        int serializedKeySize = -1,
        int serializedValueSize = -1)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        TimestampType = timestampType;
        Key = key;
        Value = value;
        Headers = headers ?? NoHeaders;
        LeaderEpoch = leaderEpoch;
        SerializedKeySize = serializedKeySize;
        SerializedValueSize = serializedValueSize;
    }

    /// <summary>The topic the record was read from.</summary>
    public string Topic { get; }

    /// <summary>The partition the record was read from.</summary>
    public int Partition { get; }

    /// <summary>The record's offset in its partition; commit <c>Offset + 1</c> to mark it processed.</summary>
    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch; see <see cref="TimestampType"/> for what it means.</summary>
    public long Timestamp { get; }

    /// <summary>Whether <see cref="Timestamp"/> was set by the producer or by the broker.</summary>
    public TimestampType TimestampType { get; }

    /// <summary>The deserialized key.</summary>
    public TKey Key { get; }

    /// <summary>The deserialized value.</summary>
    public TValue Value { get; }

    /// <summary>The record's headers, in the order they were written; empty when it has none.</summary>
    public IReadOnlyList<Header> Headers { get; }

    /// <summary>The leader epoch of the batch the record came in (KIP-320), or null when the broker sent none.</summary>
    public int? LeaderEpoch { get; }

    /// <summary>The key's size in bytes on the wire; -1 when the key is null.</summary>
    public int SerializedKeySize { get; }

    /// <summary>The value's size in bytes on the wire; -1 when the value is null.</summary>
    public int SerializedValueSize { get; }

    /// <summary>The record's topic and partition.</summary>
    public TopicPartition TopicPartition => new(Topic, Partition);

    /// <summary>The record's position as <c>topic-partition@offset</c>.</summary>
    public override string ToString() => $"{Topic}-{Partition}@{Offset}";
}
