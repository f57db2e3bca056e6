namespace TypedKafka.Protocol;

/// <summary>
/// A tagged field (KIP-482) this version of TypedKafka does not know. Kept as raw bytes, a slice of
/// the decoded buffer, so that re-encoding a decoded message round-trips it unchanged.
/// </summary>
public readonly record struct TaggedField(int Tag, ReadOnlyMemory<byte> Data);
