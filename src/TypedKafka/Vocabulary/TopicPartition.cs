namespace TypedKafka;

/// <summary>A partition of a topic: the unit of assignment, ordering and offsets (kafka-python <c>TopicPartition</c>).</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    /// <summary>The partition as <c>topic-partition</c>, as Kafka's tools print it.</summary>
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>A committed offset: the next offset to read, with optional metadata and leader epoch (KIP-320).</summary>
public sealed record OffsetAndMetadata(long Offset, string? Metadata = null, int? LeaderEpoch = null);

/// <summary>The answer of <c>OffsetsForTimesAsync</c>: the earliest offset whose timestamp is at least the one asked for.</summary>
public readonly record struct OffsetAndTimestamp(long Offset, long Timestamp, int? LeaderEpoch = null);

/// <summary>A record header. The value may be empty; a null header value is represented by <see cref="IsValueNull"/>.</summary>
public readonly record struct Header(string Key, ReadOnlyMemory<byte> Value)
{
    /// <summary>True when the header was sent with a null value (distinct from an empty one).</summary>
    public bool IsValueNull { get; init; }
}

/// <summary>The type argument for keys or values that the application does not read: decoding them costs nothing.</summary>
public readonly struct Ignore : IEquatable<Ignore>
{
    /// <summary>Always true: every <see cref="Ignore"/> is the same.</summary>
    public bool Equals(Ignore other) => true;

    /// <summary>True for any boxed <see cref="Ignore"/>.</summary>
    public override bool Equals(object? obj) => obj is Ignore;

    /// <summary>Always 0.</summary>
    public override int GetHashCode() => 0;

    /// <summary>Always true.</summary>
    public static bool operator ==(Ignore left, Ignore right) => true;

    /// <summary>Always false.</summary>
    public static bool operator !=(Ignore left, Ignore right) => false;
}
