namespace TypedKafka;

/// <summary>An operation did not complete within its time limit; the message says what was pending where.</summary>
public sealed class KafkaTimeoutException : KafkaException
{
    public KafkaTimeoutException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A commit was rejected because the group moved on (rebalance, fencing) since the offsets were fetched.</summary>
public sealed class CommitFailedException : KafkaException
{
    public CommitFailedException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A partition has no committed offset and <c>AutoOffsetReset</c> is <c>None</c>.</summary>
public sealed class NoOffsetForPartitionException : KafkaException
{
    public NoOffsetForPartitionException(IReadOnlyCollection<TopicPartition> partitions)
        : base($"No committed offset and AutoOffsetReset is None for: {string.Join(", ", partitions)}.")
    {
        Partitions = partitions;
    }

    public IReadOnlyCollection<TopicPartition> Partitions { get; }
}

/// <summary>The position of a partition is outside the log and <c>AutoOffsetReset</c> is <c>None</c>.</summary>
public sealed class OffsetOutOfRangeException : KafkaException
{
    public OffsetOutOfRangeException(IReadOnlyDictionary<TopicPartition, long> offsets)
        : base($"Offsets out of range with no AutoOffsetReset policy: {string.Join(", ", offsets.Select(o => $"{o.Key}@{o.Value}"))}.")
    {
        Offsets = offsets;
    }

    /// <summary>The out-of-range position of each partition.</summary>
    public IReadOnlyDictionary<TopicPartition, long> Offsets { get; }
}

/// <summary>Authentication with a broker failed (TLS handshake or SASL).</summary>
public sealed class KafkaAuthenticationException : KafkaException
{
    public KafkaAuthenticationException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>The broker refused an operation for lack of permission (topic, group or cluster authorization).</summary>
public sealed class KafkaAuthorizationException : KafkaException
{
    public KafkaAuthorizationException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A record's key or value could not be deserialized. Carries the raw bytes and where the record is, so the
/// application can log it, dead-letter it, or <c>Seek</c> past it without losing other records.</summary>
public sealed class RecordDeserializationException : KafkaException
{
    public RecordDeserializationException(
        string topic, int partition, long offset, bool isKey,
        ReadOnlyMemory<byte>? rawKey, ReadOnlyMemory<byte>? rawValue, Exception innerException)
        : base($"Could not deserialize the {(isKey ? "key" : "value")} of the record at {topic}-{partition}@{offset}: {innerException.Message}", innerException)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        IsKey = isKey;
        RawKey = rawKey;
        RawValue = rawValue;
    }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    /// <summary>True when the key failed, false when the value failed.</summary>
    public bool IsKey { get; }

    /// <summary>The key's bytes (a copy), or null when the key was null.</summary>
    public ReadOnlyMemory<byte>? RawKey { get; }

    /// <summary>The value's bytes (a copy), or null when the value was null.</summary>
    public ReadOnlyMemory<byte>? RawValue { get; }
}
