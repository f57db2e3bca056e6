using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace TypedKafka.Protocol;

// Legacy message sets, magic 0 and 1 (pre-0.11 brokers and old topic data), big-endian:
//   offset int64, size int32, crc uint32 (CRC-32 of magic..end), magic int8, attributes int8,
//   [timestamp int64, magic 1 only, KIP-32], key bytes (int32 length, -1 null), value bytes.
// Compressed data is a wrapper message whose value is a compressed message set. In magic 1 the
// inner offsets are relative (0..n-1) and the wrapper carries the absolute offset of the last one
// (KIP-31); in magic 0 the inner offsets are absolute.
public sealed partial class RecordSetReader
{
    private const int LegacyCrcOffset = 12;
    private const int LegacyAttributesOffset = 17;

    // State of a compressed legacy wrapper being iterated.
    private long _legacyRelativeBase;
    private long _legacyWrapperTimestamp;

    private bool TryBeginLegacyBatch(ReadOnlySpan<byte> bytes, int pos, byte magic)
    {
        LegacyMessage message = ParseLegacyMessage(bytes, 0, bytes.Length, pos, inner: false);
        if (message.Offset < StartOffset) return false; // a wrapper's offset is its last inner offset

        if (_options.CheckCrcs) CheckLegacyCrc(bytes, 0, bytes.Length, pos, inner: false);
        var info = new RecordBatchInfo
        {
            Position = pos,
            BaseOffset = message.Offset,
            BatchLength = bytes.Length - LogOverhead,
            PartitionLeaderEpoch = -1,
            Magic = magic,
            Crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(LegacyCrcOffset)),
            Attributes = message.Attributes,
            BaseTimestamp = message.Timestamp,
            MaxTimestamp = message.Timestamp,
            ProducerId = -1,
            ProducerEpoch = -1,
            BaseSequence = -1,
            RecordCount = 1,
        };

        _batch = info;
        _context = new RecordContext(in info);
        if (info.Compression == CompressionCodec.None)
        {
            SetBlobData(pos, bytes.Length);
            _recordsRemaining = 1;
            return true;
        }

        if ((int)info.Compression > (int)CompressionCodec.Lz4)
        {
            ThrowMalformed($"Legacy message uses compression codec {(int)info.Compression}, not valid below magic 2", pos + LegacyAttributesOffset);
        }

        if (message.ValueLength < 0) ThrowMalformed("Compressed legacy message has a null value", pos + message.ValueStart - 4);

        // Decompressed now rather than lazily: the inner messages give the batch's base offset and count.
        int length = DecompressIntoBuffer(pos + message.ValueStart, message.ValueLength, magic);
        ReadOnlySpan<byte> inner = _decompressed.AsSpan(0, length);
        int count = 0;
        long firstOffset = 0, lastOffset = 0;
        for (int p = 0; p < inner.Length;)
        {
            if (inner.Length - p < LogOverhead) ThrowRecordMalformed("Compressed message set ends inside a message header", p);
            int size = BinaryPrimitives.ReadInt32BigEndian(inner.Slice(p + 8));
            if (size < MinimumSize || size > inner.Length - p - LogOverhead)
            {
                ThrowRecordMalformed($"Inner message size {size} is invalid", p + 8);
            }

            LegacyMessage m = ParseLegacyMessage(inner, p, LogOverhead + size, pos, inner: true);
            if (m.Magic != magic) ThrowRecordMalformed($"Inner message magic {m.Magic} does not match the wrapper's magic {magic}", p + MagicOffset);
            if ((m.Attributes & 0x07) != 0) ThrowRecordMalformed("Inner message is itself compressed", p + LegacyAttributesOffset);
            if (_options.CheckCrcs) CheckLegacyCrc(inner, p, LogOverhead + size, pos, inner: true);
            if (count == 0) firstOffset = m.Offset;
            lastOffset = m.Offset;
            count++;
            p += LogOverhead + size;
        }

        _legacyRelativeBase = magic == 0 ? 0 : message.Offset - lastOffset;
        _legacyWrapperTimestamp = message.Timestamp;
        long baseOffset = _legacyRelativeBase + firstOffset;
        _batch = info with
        {
            BaseOffset = count == 0 ? message.Offset : baseOffset,
            LastOffsetDelta = count == 0 ? 0 : (int)Math.Clamp(message.Offset - baseOffset, 0, int.MaxValue),
            RecordCount = count,
        };
        _recordsRemaining = count;
        return true;
    }

    private void ReadLegacyRecord(ReadOnlySpan<byte> data, out Record record)
    {
        int p = _recordPos;
        int size = BinaryPrimitives.ReadInt32BigEndian(data.Slice(p + 8)); // validated when the batch was read
        LegacyMessage m = ParseLegacyMessage(data, p, LogOverhead + size, _batch.Position, _dataIsDecompressed);
        _recordPos = p + LogOverhead + size;

        long offset = m.Offset;
        long timestamp = m.Timestamp;
        if (_dataIsDecompressed)
        {
            offset += _legacyRelativeBase;
            if (_batch.TimestampType == TimestampType.LogAppendTime) timestamp = _legacyWrapperTimestamp;
        }

        record = new Record(in _context, offset, timestamp,
            m.KeyLength < 0 ? default : data.Slice(m.KeyStart, m.KeyLength), m.KeyLength < 0,
            m.ValueLength < 0 ? default : data.Slice(m.ValueStart, m.ValueLength), m.ValueLength < 0,
            default, 0, ControlRecordType.None);
    }

    /// <summary>Parses and bounds-checks the message occupying <paramref name="length"/> bytes at <paramref name="start"/>.</summary>
    private LegacyMessage ParseLegacyMessage(ReadOnlySpan<byte> data, int start, int length, int blobPosition, bool inner)
    {
        ReadOnlySpan<byte> m = data.Slice(start, length);
        byte magic = m[MagicOffset];
        if (magic > 1) ThrowLegacy($"Legacy message magic {magic} is not 0 or 1", start + MagicOffset, blobPosition, inner);
        int minimum = magic == 0 ? MinimumSize : MinimumSize + 8;
        if (length - LogOverhead < minimum)
        {
            ThrowLegacy($"Legacy message size {length - LogOverhead} is less than the minimum of {minimum} for magic {magic}", start + 8, blobPosition, inner);
        }

        int p = 18;
        long timestamp = -1;
        if (magic == 1)
        {
            timestamp = BinaryPrimitives.ReadInt64BigEndian(m.Slice(p));
            p += 8;
        }

        int keyLength = BinaryPrimitives.ReadInt32BigEndian(m.Slice(p));
        p += 4;
        int keyStart = p;
        if (keyLength >= 0)
        {
            if (keyLength > m.Length - p - 4) ThrowLegacy($"Legacy message key length {keyLength} exceeds the message", start + p - 4, blobPosition, inner);
            p += keyLength;
        }

        int valueLength = BinaryPrimitives.ReadInt32BigEndian(m.Slice(p));
        p += 4;
        int valueStart = p;
        if (valueLength >= 0)
        {
            if (valueLength > m.Length - p) ThrowLegacy($"Legacy message value length {valueLength} exceeds the message", start + p - 4, blobPosition, inner);
            p += valueLength;
        }

        if (p != m.Length) ThrowLegacy($"Legacy message has {m.Length - p} bytes after its value", start + p, blobPosition, inner);

        return new LegacyMessage(
            BinaryPrimitives.ReadInt64BigEndian(m), magic, m[LegacyAttributesOffset], timestamp,
            start + keyStart, keyLength < 0 ? -1 : keyLength, start + valueStart, valueLength < 0 ? -1 : valueLength);
    }

    private void CheckLegacyCrc(ReadOnlySpan<byte> data, int start, int length, int blobPosition, bool inner)
    {
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(start + LegacyCrcOffset));
        uint actual = Crc32.Compute(data.Slice(start + MagicOffset, length - MagicOffset));
        if (stored != actual)
        {
            ThrowLegacy($"Legacy message fails its CRC-32 check: stored 0x{stored:X8}, computed 0x{actual:X8}", start + LegacyCrcOffset, blobPosition, inner);
        }
    }

    [DoesNotReturn]
    private void ThrowLegacy(string message, int position, int blobPosition, bool inner)
    {
        if (inner) ThrowRecordMalformed(message, position);
        ThrowMalformed(message, blobPosition + position);
    }

    private readonly record struct LegacyMessage(
        long Offset, byte Magic, byte Attributes, long Timestamp, int KeyStart, int KeyLength, int ValueStart, int ValueLength);
}
