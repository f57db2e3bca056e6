using System.Buffers.Binary;

namespace TypedKafka.Protocol;

// Record batches, magic 2 (KIP-98; layout in RecordBatchInfo and Record).
public sealed partial class RecordSetReader
{
    private const int V2HeaderSize = 61;
    private const int V2CrcOffset = 17;
    private const int V2AttributesOffset = 21;
    private const int V2RecordCountOffset = 57;

    /// <summary>The smallest record body after its length: attributes and five one-byte varints.</summary>
    private const int MinimumRecordBody = 6;

    private bool TryBeginV2Batch(ReadOnlySpan<byte> bytes, int pos)
    {
        if (bytes.Length < V2HeaderSize)
        {
            ThrowMalformed($"Record batch size {bytes.Length - LogOverhead} is less than the magic 2 header size {V2HeaderSize - LogOverhead}", pos + 8);
        }

        var info = new RecordBatchInfo
        {
            Position = pos,
            BaseOffset = BinaryPrimitives.ReadInt64BigEndian(bytes),
            BatchLength = bytes.Length - LogOverhead,
            PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(12)),
            Magic = 2,
            Crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(V2CrcOffset)),
            Attributes = BinaryPrimitives.ReadInt16BigEndian(bytes.Slice(V2AttributesOffset)),
            LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(23)),
            BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(27)),
            MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(35)),
            ProducerId = BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(43)),
            ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(bytes.Slice(51)),
            BaseSequence = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(53)),
            RecordCount = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(V2RecordCountOffset)),
        };

        if (info.LastOffset < StartOffset) return false; // wholly before the fetch offset: not even checked

        if (info.RecordCount < 0) ThrowMalformed($"Record batch declares {info.RecordCount} records", pos + V2RecordCountOffset);
        if ((int)info.Compression > (int)CompressionCodec.Zstd)
        {
            ThrowMalformed($"Record batch uses unknown compression codec {(int)info.Compression}", pos + V2AttributesOffset);
        }

        if (_options.CheckCrcs)
        {
            uint actual = Crc32C.Compute(bytes.Slice(V2AttributesOffset));
            if (actual != info.Crc)
            {
                ThrowMalformed($"Record batch at offset {info.BaseOffset} fails its CRC-32C check: stored 0x{info.Crc:X8}, computed 0x{actual:X8}", pos + V2CrcOffset);
            }
        }

        _batch = info;
        _context = new RecordContext(in info);
        _recordsRemaining = info.RecordCount;
        if (info.Compression == CompressionCodec.None)
        {
            SetBlobData(pos + V2HeaderSize, bytes.Length - V2HeaderSize);
        }
        else
        {
            _decompressionPending = info.RecordCount > 0;
            _compressedStart = pos + V2HeaderSize;
            _compressedLength = bytes.Length - V2HeaderSize;
        }

        return true;
    }

    private void ReadV2Record(ReadOnlySpan<byte> data, out Record record)
    {
        int start = _recordPos;
        int pos = start;
        if (!RecordVarint.TryReadInt32(data, ref pos, out int length)) ThrowRecordMalformed("Record length is not a valid varint", start);
        if (length < MinimumRecordBody || length > data.Length - pos)
        {
            ThrowRecordMalformed($"Record length {length} is outside 6..{data.Length - pos}, the bytes left in the batch", start);
        }

        ReadOnlySpan<byte> r = data.Slice(pos, length);
        int bodyStart = pos;
        int p = 1; // attributes: unused since magic 2

        if (!RecordVarint.TryReadInt64(r, ref p, out long timestampDelta)) ThrowRecordMalformed("Record timestamp delta is not a valid varlong", bodyStart + p);
        if (!RecordVarint.TryReadInt32(r, ref p, out int offsetDelta)) ThrowRecordMalformed("Record offset delta is not a valid varint", bodyStart + p);

        if (!RecordVarint.TryReadInt32(r, ref p, out int keyLength)) ThrowRecordMalformed("Record key length is not a valid varint", bodyStart + p);
        ReadOnlySpan<byte> key = default;
        if (keyLength >= 0)
        {
            if (keyLength > r.Length - p) ThrowRecordMalformed($"Record key length {keyLength} exceeds the record", bodyStart + p);
            key = r.Slice(p, keyLength);
            p += keyLength;
        }

        if (!RecordVarint.TryReadInt32(r, ref p, out int valueLength)) ThrowRecordMalformed("Record value length is not a valid varint", bodyStart + p);
        ReadOnlySpan<byte> value = default;
        if (valueLength >= 0)
        {
            if (valueLength > r.Length - p) ThrowRecordMalformed($"Record value length {valueLength} exceeds the record", bodyStart + p);
            value = r.Slice(p, valueLength);
            p += valueLength;
        }

        if (!RecordVarint.TryReadInt32(r, ref p, out int headerCount) || headerCount < 0)
        {
            ThrowRecordMalformed($"Record header count {headerCount} is invalid", bodyStart + p);
        }

        int headersStart = p;
        for (int i = 0; i < headerCount; i++)
        {
            // Validated here, once, so that header enumeration needs no error path.
            if (!RecordVarint.TryReadInt32(r, ref p, out int headerKeyLength) || headerKeyLength < 0 || headerKeyLength > r.Length - p)
            {
                ThrowRecordMalformed($"Record header {i} key length {headerKeyLength} is invalid", bodyStart + p);
            }

            p += headerKeyLength;
            if (!RecordVarint.TryReadInt32(r, ref p, out int headerValueLength) || headerValueLength > r.Length - p)
            {
                ThrowRecordMalformed($"Record header {i} value length {headerValueLength} is invalid", bodyStart + p);
            }

            if (headerValueLength > 0) p += headerValueLength;
        }

        if (p != r.Length) ThrowRecordMalformed($"Record declares {length} bytes but its fields take {p}", start);
        _recordPos = bodyStart + length;

        ControlRecordType controlType = ControlRecordType.None;
        if (_context.IsControl && (keyLength < 0 || !ControlRecord.TryParseType(key, out controlType)))
        {
            ThrowRecordMalformed($"Control record key of {keyLength} bytes is shorter than {ControlRecord.KeySize}", start);
        }

        // LogAppendTime: the broker stamped the batch and left the producer's deltas in place.
        long timestamp = _context.TimestampType == TimestampType.LogAppendTime ? _batch.MaxTimestamp : _batch.BaseTimestamp + timestampDelta;
        record = new Record(in _context, _batch.BaseOffset + offsetDelta, timestamp, key, keyLength < 0, value, valueLength < 0,
            r.Slice(headersStart, p - headersStart), headerCount, controlType);
    }
}
