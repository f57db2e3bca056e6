namespace TypedKafka;

/// <summary>An operation did not complete within its time limit; the message says what was pending where.</summary>
public sealed class KafkaTimeoutException : KafkaException
{
    /// <summary>Creates the exception; <paramref name="message"/> says what was pending where.</summary>
    public KafkaTimeoutException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A commit was rejected because the group moved on (rebalance, fencing) since the offsets were fetched.</summary>
public sealed class CommitFailedException : KafkaException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the group and why the commit was rejected.</summary>
    public CommitFailedException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A partition has no committed offset and <c>AutoOffsetReset</c> is <c>None</c>.</summary>
public sealed class NoOffsetForPartitionException : KafkaException
{
    /// <summary>Creates the exception for the partitions that have no committed offset.</summary>
    public NoOffsetForPartitionException(IReadOnlyCollection<TopicPartition> partitions)
        : base($"No committed offset and AutoOffsetReset is None for: {string.Join(", ", partitions)}.")
    {
        Partitions = partitions;
    }

    /// <summary>The partitions with no committed offset.</summary>
    public IReadOnlyCollection<TopicPartition> Partitions { get; }
}

/// <summary>The position of a partition is outside the log and <c>AutoOffsetReset</c> is <c>None</c>.</summary>
public sealed class OffsetOutOfRangeException : KafkaException
{
    /// <summary>Creates the exception for the partitions whose position is outside the log.</summary>
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
    /// <summary>Creates the exception; <paramref name="message"/> names the broker and the mechanism that failed.</summary>
    public KafkaAuthenticationException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>The broker refused an operation for lack of permission (topic, group or cluster authorization).</summary>
public sealed class KafkaAuthorizationException : KafkaException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the refused operation and resource.</summary>
    public KafkaAuthorizationException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A record's key or value could not be deserialized. Carries the raw bytes and where the record is, so the
/// application can log it, dead-letter it, or <c>Seek</c> past it without losing other records.</summary>
public sealed class RecordDeserializationException : KafkaException
{
    /// <summary>Creates the exception for the record at <paramref name="topic"/>-<paramref name="partition"/>@<paramref name="offset"/>
    /// whose key (<paramref name="isKey"/>) or value failed with <paramref name="innerException"/>.</summary>
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

    /// <summary>The topic of the record that failed.</summary>
    public string Topic { get; }

    /// <summary>The partition of the record that failed.</summary>
    public int Partition { get; }

    /// <summary>The offset of the record that failed; <c>Seek</c> past it to skip it.</summary>
    public long Offset { get; }

    /// <summary>The record's topic and partition.</summary>
    public TopicPartition TopicPartition => new(Topic, Partition);

    /// <summary>True when the key failed, false when the value failed.</summary>
    public bool IsKey { get; }

    /// <summary>The key's bytes (a copy), or null when the key was null.</summary>
    public ReadOnlyMemory<byte>? RawKey { get; }

    /// <summary>The value's bytes (a copy), or null when the value was null.</summary>
    public ReadOnlyMemory<byte>? RawValue { get; }
}
