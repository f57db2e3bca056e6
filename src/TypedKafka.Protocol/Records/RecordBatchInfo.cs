namespace TypedKafka.Protocol;

/// <summary>
/// The header of one record batch (magic 2), or of one legacy message (magic 0/1: each top-level
/// message, compressed wrapper or not, counts as a batch, as in Java's client).
/// </summary>
/// <remarks>
/// Record batch v2 layout (KIP-98), big-endian, byte offsets from the batch start:
/// <code>
///  0 baseOffset int64          27 baseTimestamp int64
///  8 batchLength int32         35 maxTimestamp int64
/// 12 partitionLeaderEpoch int32 43 producerId int64
/// 16 magic int8 (2)            51 producerEpoch int16
/// 17 crc uint32 (CRC-32C of bytes 21..end)   53 baseSequence int32
/// 21 attributes int16          57 recordCount int32
/// 23 lastOffsetDelta int32     61 records
/// </code>
/// Attributes: bits 0-2 compression codec, bit 3 timestamp type, bit 4 isTransactional,
/// bit 5 isControl, bit 6 hasDeleteHorizonMs (KIP-534).
/// </remarks>
public readonly struct RecordBatchInfo
{
    internal const int AttributeTimestampType = 0x08;
    internal const int AttributeTransactional = 0x10;
    internal const int AttributeControl = 0x20;
    internal const int AttributeDeleteHorizon = 0x40;

    /// <summary>Where the batch starts in the buffer given to the reader.</summary>
    public int Position { get; internal init; }

    /// <summary>The batch's total size in bytes: <see cref="BatchLength"/> + 12.</summary>
    public int SizeInBytes => BatchLength + 12;

    public long BaseOffset { get; internal init; }

    /// <summary>The size field: bytes after it (from the partition leader epoch, or from the CRC for legacy messages).</summary>
    public int BatchLength { get; internal init; }

    /// <summary>The leader epoch of the broker that appended the batch (KIP-101); -1 for legacy messages.</summary>
    public int PartitionLeaderEpoch { get; internal init; }

    public byte Magic { get; internal init; }

    /// <summary>The stored checksum: CRC-32C for magic 2, CRC-32 for magic 0/1.</summary>
    public uint Crc { get; internal init; }

    /// <summary>The raw attributes (an int8 widened for legacy messages).</summary>
    public short Attributes { get; internal init; }

    public CompressionCodec Compression => (CompressionCodec)(Attributes & 0x07);

    public TimestampType TimestampType => Magic == 0
        ? TimestampType.NotAvailable
        : (Attributes & AttributeTimestampType) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    /// <summary>Written by a transactional producer (KIP-98): a read_committed consumer filters aborted ones.</summary>
    public bool IsTransactional => Magic >= 2 && (Attributes & AttributeTransactional) != 0;

    /// <summary>Holds control records (transaction markers) instead of user records.</summary>
    public bool IsControl => Magic >= 2 && (Attributes & AttributeControl) != 0;

    /// <summary>The log cleaner stored a delete horizon in the base timestamp field (KIP-534).</summary>
    public bool HasDeleteHorizonMs => Magic >= 2 && (Attributes & AttributeDeleteHorizon) != 0;

    /// <summary>The delete horizon when <see cref="HasDeleteHorizonMs"/>, else -1.</summary>
    public long DeleteHorizonMs => HasDeleteHorizonMs ? BaseTimestamp : -1;

    /// <summary>Offset of the last record relative to <see cref="BaseOffset"/>; compaction may have removed records, never this offset's slot.</summary>
    public int LastOffsetDelta { get; internal init; }

    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The offset to fetch next when this batch is done, even if compaction left it with no records.</summary>
    public long NextOffset => LastOffset + 1;

    public long BaseTimestamp { get; internal init; }

    public long MaxTimestamp { get; internal init; }

    /// <summary>-1 when the producer is neither idempotent nor transactional, and for legacy messages.</summary>
    public long ProducerId { get; internal init; }

    public short ProducerEpoch { get; internal init; }

    public int BaseSequence { get; internal init; }

    /// <summary>The number of records the batch declares (after decompression for legacy wrappers).</summary>
    public int RecordCount { get; internal init; }

    public override string ToString() =>
        $"batch @{Position}: offsets {BaseOffset}..{LastOffset}, magic {Magic}, {RecordCount} records, {Compression}" +
        (IsTransactional ? $", transactional (producer {ProducerId}/{ProducerEpoch})" : "") + (IsControl ? ", control" : "");
}
