using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TypedKafka.Protocol;

/// <summary>A header to write: a string key and a value that may be null.</summary>
public readonly record struct RecordHeaderData(string Key, byte[]? Value);

/// <summary>
/// Builds one record batch (magic 2): records are appended in offset order, then
/// <see cref="WriteTo"/> writes the 61-byte header, the (optionally compressed) records and the CRC-32C.
/// Used by tests and by the producer; the layout is documented on <see cref="RecordBatchInfo"/> and <see cref="Record"/>.
/// </summary>
public sealed class RecordBatchBuilder
{
    private const int HeaderSize = 61;
    private readonly ArrayBufferWriter<byte> _records = new();
    private int _count;
    private int _lastOffsetDelta = -1;
    private long _baseTimestamp = -1;
    private long _maxTimestamp = -1;

    /// <summary>The offset of the first record (the broker assigns real offsets; producers write 0).</summary>
    public long BaseOffset { get; init; }

    public CompressionCodec Compression { get; init; }

    /// <summary>With <see cref="TimestampType.LogAppendTime"/>, <see cref="LogAppendTime"/> becomes the max timestamp, as a broker writes it.</summary>
    public TimestampType TimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary>The broker's append time, used when <see cref="TimestampType"/> is <see cref="TimestampType.LogAppendTime"/>.</summary>
    public long LogAppendTime { get; init; } = -1;

    public int PartitionLeaderEpoch { get; init; } = -1;

    public long ProducerId { get; init; } = -1;

    public short ProducerEpoch { get; init; } = -1;

    public int BaseSequence { get; init; } = -1;

    public bool IsTransactional { get; init; }

    /// <summary>A control batch (transaction markers); see <see cref="WriteEndTransactionMarker"/>.</summary>
    public bool IsControl { get; init; }

    /// <summary>Overrides the last offset delta, e.g. to model a batch whose last records compaction removed.</summary>
    public int? LastOffsetDelta { get; init; }

    /// <summary>The number of records appended.</summary>
    public int Count => _count;

    /// <summary>Appends a record at the next offset; a null key or value is written as null (length -1).</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, params ReadOnlySpan<RecordHeaderData> headers) =>
        Append(timestamp, key, key is null, value, value is null, headers);

    /// <summary>Appends a record; <paramref name="offsetDelta"/> defaults to one past the previous record's.</summary>
    public void Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        ReadOnlySpan<RecordHeaderData> headers = default, int offsetDelta = -1)
    {
        if (offsetDelta < 0) offsetDelta = _lastOffsetDelta + 1;
        if (offsetDelta <= _lastOffsetDelta) throw new ArgumentOutOfRangeException(nameof(offsetDelta), "Offsets must increase within a batch.");
        if (_count == 0) _baseTimestamp = timestamp;
        long timestampDelta = timestamp - _baseTimestamp;

        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        int bodySize = 1 + RecordVarint.SizeOf(timestampDelta) + RecordVarint.SizeOf(offsetDelta)
            + RecordVarint.SizeOf(keyLength) + Math.Max(0, keyLength)
            + RecordVarint.SizeOf(valueLength) + Math.Max(0, valueLength)
            + RecordVarint.SizeOf(headers.Length);
        foreach (RecordHeaderData header in headers)
        {
            ArgumentNullException.ThrowIfNull(header.Key);
            int headerKeyLength = Encoding.UTF8.GetByteCount(header.Key);
            int headerValueLength = header.Value?.Length ?? -1;
            bodySize += RecordVarint.SizeOf(headerKeyLength) + headerKeyLength + RecordVarint.SizeOf(headerValueLength) + Math.Max(0, headerValueLength);
        }

        int total = RecordVarint.SizeOf(bodySize) + bodySize;
        Span<byte> span = _records.GetSpan(total);
        int p = RecordVarint.Write(span, bodySize);
        span[p++] = 0; // attributes
        p += RecordVarint.Write(span.Slice(p), timestampDelta);
        p += RecordVarint.Write(span.Slice(p), offsetDelta);
        p += WriteBytes(span.Slice(p), key, keyLength);
        p += WriteBytes(span.Slice(p), value, valueLength);
        p += RecordVarint.Write(span.Slice(p), headers.Length);
        foreach (RecordHeaderData header in headers)
        {
            int headerKeyLength = Encoding.UTF8.GetByteCount(header.Key);
            p += RecordVarint.Write(span.Slice(p), headerKeyLength);
            p += Encoding.UTF8.GetBytes(header.Key, span.Slice(p));
            p += WriteBytes(span.Slice(p), header.Value, header.Value?.Length ?? -1);
        }

        _records.Advance(p);
        _count++;
        _lastOffsetDelta = offsetDelta;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
    }

    /// <summary>Writes the batch to <paramref name="output"/> and returns its size in bytes.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ReadOnlySpan<byte> records = _records.WrittenSpan;
        ArrayBufferWriter<byte>? compressed = null;
        if (Compression != CompressionCodec.None && _count > 0)
        {
            compressed = new ArrayBufferWriter<byte>(Math.Max(256, records.Length / 2));
            KafkaCompression.Compress(Compression, records, compressed);
            records = compressed.WrittenSpan;
        }

        int size = HeaderSize + records.Length;
        Span<byte> batch = output.GetSpan(size).Slice(0, size);
        int attributes = (int)Compression
            | (TimestampType == TimestampType.LogAppendTime ? RecordBatchInfo.AttributeTimestampType : 0)
            | (IsTransactional ? RecordBatchInfo.AttributeTransactional : 0)
            | (IsControl ? RecordBatchInfo.AttributeControl : 0);
        BinaryPrimitives.WriteInt64BigEndian(batch, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(8), size - 12);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(12), PartitionLeaderEpoch);
        batch[16] = 2;
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(21), (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(23), LastOffsetDelta ?? Math.Max(0, _lastOffsetDelta));
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(27), _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(35), TimestampType == TimestampType.LogAppendTime ? LogAppendTime : _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(43), ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(51), ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(53), BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(57), _count);
        records.CopyTo(batch.Slice(HeaderSize));
        BinaryPrimitives.WriteUInt32BigEndian(batch.Slice(17), Crc32C.Compute(batch.Slice(21)));
        output.Advance(size);
        return size;
    }

    /// <summary>Returns the batch as a new array.</summary>
    public byte[] ToArray()
    {
        var output = new ArrayBufferWriter<byte>();
        WriteTo(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes the control batch a transaction coordinator appends to end a transaction (KIP-98): transactional and
    /// control, one record whose key is (version 0, type) and whose value is (version 0, coordinator epoch).
    /// </summary>
    public static int WriteEndTransactionMarker(IBufferWriter<byte> output, long offset, long producerId, short producerEpoch,
        ControlRecordType type, int coordinatorEpoch, long timestamp, int partitionLeaderEpoch = -1)
    {
        if (type is not (ControlRecordType.Abort or ControlRecordType.Commit)) throw new ArgumentOutOfRangeException(nameof(type), type, "Only ABORT and COMMIT end a transaction.");
        var builder = new RecordBatchBuilder
        {
            BaseOffset = offset,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            IsTransactional = true,
            IsControl = true,
            PartitionLeaderEpoch = partitionLeaderEpoch,
        };
        Span<byte> key = stackalloc byte[ControlRecord.KeySize];
        Span<byte> value = stackalloc byte[6];
        ControlRecord.WriteKey(key, type);
        ControlRecord.WriteEndTransactionMarkerValue(value, coordinatorEpoch);
        builder.Append(timestamp, key, false, value, false);
        return builder.WriteTo(output);
    }

    private static int WriteBytes(Span<byte> destination, ReadOnlySpan<byte> bytes, int length)
    {
        int p = RecordVarint.Write(destination, length);
        if (length > 0)
        {
            bytes.CopyTo(destination.Slice(p));
            p += length;
        }

        return p;
    }
}
