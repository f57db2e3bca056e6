using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>How a scan of record batch headers ended (<see cref="RecordBatchScanner.Scan"/>).</summary>
internal enum BatchScanResult
{
    /// <summary>At least one complete batch: the next offset and leader epoch are those after the last one.</summary>
    Found,

    /// <summary>No batch is complete: the data ends inside the first one (or before its header does).</summary>
    Truncated,

    /// <summary>The first batch's length field cannot be right for its magic.</summary>
    Invalid,
}

/// <summary>
/// Walks the batch headers of a Fetch answer's records without decoding any record: where the next fetch starts (the
/// offset after the last complete batch) and that batch's leader epoch (KIP-320's last fetched epoch). Offsets are
/// those of the layout documented on <see cref="RecordBatchInfo"/>; a legacy message (magic 0/1) counts as a batch.
/// </summary>
internal static class RecordBatchScanner
{
    private const int BaseOffsetAt = 0;
    private const int BatchLengthAt = 8;
    private const int LeaderEpochAt = 12;
    private const int MagicAt = 16;
    private const int LastOffsetDeltaAt = 23;

    /// <summary>Bytes before the batch length counts from: baseOffset int64 + batchLength int32.</summary>
    private const int LogOverhead = 12;

    /// <summary>Enough to read the magic byte, which says how to read the rest.</summary>
    private const int MinHeader = MagicAt + 1;

    /// <summary>The smallest length a v2 batch states: its header from the leader epoch to the record count (61 - 12).</summary>
    private const int MinV2BatchLength = 49;

    /// <summary>The smallest length a legacy message states: crc, magic, attributes, key and value lengths.</summary>
    private const int MinLegacyLength = 14;

    /// <summary>Scans <paramref name="records"/>: <paramref name="nextOffset"/> is the offset after the last complete
    /// batch and <paramref name="lastEpoch"/> its leader epoch (-1 for legacy messages); both -1 unless
    /// <see cref="BatchScanResult.Found"/>. A bad header after good batches ends the scan there (the next fetch starts
    /// at it and reports it).</summary>
    public static BatchScanResult Scan(ReadOnlySpan<byte> records, out long nextOffset, out int lastEpoch)
    {
        nextOffset = -1;
        lastEpoch = -1;
        var found = false;
        var position = 0;
        while (records.Length - position >= MinHeader)
        {
            var batch = records.Slice(position);
            var length = BinaryPrimitives.ReadInt32BigEndian(batch.Slice(BatchLengthAt));
            var magic = batch[MagicAt];
            if (length < MinLegacyLength || (magic >= 2 && length < MinV2BatchLength)) return found ? BatchScanResult.Found : BatchScanResult.Invalid;
            if (length > batch.Length - LogOverhead) break;
            var baseOffset = BinaryPrimitives.ReadInt64BigEndian(batch.Slice(BaseOffsetAt));
            if (magic >= 2)
            {
                nextOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(batch.Slice(LastOffsetDeltaAt)) + 1;
                lastEpoch = BinaryPrimitives.ReadInt32BigEndian(batch.Slice(LeaderEpochAt));
            }
            else
            {
                // A legacy message (or compressed wrapper) carries the offset of its last record.
                nextOffset = baseOffset + 1;
                lastEpoch = -1;
            }
            found = true;
            position += LogOverhead + length;
        }
        return found ? BatchScanResult.Found : BatchScanResult.Truncated;
    }
}
