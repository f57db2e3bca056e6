namespace TypedKafka.Protocol;

/// <summary>
/// The compression codec of a record batch or legacy wrapper message: the low three bits of its
/// attributes. The values are the wire values (Java's <c>CompressionType.id</c>).
/// </summary>
public enum CompressionCodec : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,

    /// <summary>Zstandard, KIP-110: only in record batches (magic 2), Kafka 2.1+.</summary>
    Zstd = 4,
}
