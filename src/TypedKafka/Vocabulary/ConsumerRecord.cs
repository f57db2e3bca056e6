namespace TypedKafka;

/// <summary>One record returned by <c>PollAsync</c>/<c>ConsumeAsync</c>, with its key and value deserialized.</summary>
public sealed class ConsumerRecord<TKey, TValue>
{
    private static readonly IReadOnlyList<Header> NoHeaders = Array.Empty<Header>();

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

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch; see <see cref="TimestampType"/> for what it means.</summary>
    public long Timestamp { get; }

    public TimestampType TimestampType { get; }

    public TKey Key { get; }

    public TValue Value { get; }

    public IReadOnlyList<Header> Headers { get; }

    public int? LeaderEpoch { get; }

    /// <summary>The key's size in bytes on the wire; -1 when the key is null.</summary>
    public int SerializedKeySize { get; }

    /// <summary>The value's size in bytes on the wire; -1 when the value is null.</summary>
    public int SerializedValueSize { get; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public override string ToString() => $"{Topic}-{Partition}@{Offset}";
}
