namespace TypedKafka.Protocol;

/// <summary>How a <see cref="RecordSetReader"/> decodes records.</summary>
public sealed class RecordReadOptions
{
    /// <summary>No CRC checks, <see cref="KafkaCompression.DefaultMaxDecompressedBytes"/>.</summary>
    public static RecordReadOptions Default { get; } = new();

    /// <summary>
    /// Verify each batch's CRC-32C (magic 2) or each message's CRC-32 (magic 0/1). Mirrors the Java
    /// consumer's <c>check.crcs</c> (default true there; here false, as TCP and the broker already
    /// validated the batch, and it costs a pass over every byte).
    /// </summary>
    public bool CheckCrcs { get; init; }

    /// <summary>The most bytes one compressed batch may decompress to; more is a <see cref="KafkaProtocolException"/>.</summary>
    public int MaxDecompressedBytes
    {
        get => _maxDecompressedBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxDecompressedBytes = value;
        }
    }

    private readonly int _maxDecompressedBytes = KafkaCompression.DefaultMaxDecompressedBytes;
}
