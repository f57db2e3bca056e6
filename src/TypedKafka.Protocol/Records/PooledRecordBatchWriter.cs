using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TypedKafka.Protocol;

/// <summary>
/// The producer's record batch (magic 2) in a buffer rented from <see cref="ArrayPool{T}.Shared"/>: records are
/// encoded straight behind a reserved 61-byte header as they are appended, <see cref="Seal"/> compresses them (once),
/// and <see cref="Stamp"/> writes the header with the producer id, epoch and base sequence and the CRC-32C. A batch is
/// stamped again when idempotence state changes before a retry (KIP-360 epoch bump), without re-encoding records.
/// The layout is documented on <see cref="RecordBatchInfo"/> and <see cref="Record"/>.
/// </summary>
/// <remarks>Not thread-safe; owned by one partition queue at a time. <see cref="Dispose"/> returns the buffers.</remarks>
public sealed class PooledRecordBatchWriter : IDisposable
{
    /// <summary>Bytes of the batch header that precede the records.</summary>
    public const int HeaderSize = 61;

    /// <summary>Kafka's most records in one batch this writer allows (record offsets deltas are int32, but a
    /// producer-side bound keeps completion bookkeeping small).</summary>
    public const int MaxRecords = 1 << 20;

    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _length = HeaderSize; // header + records written so far (uncompressed until sealed)
    private int _count;
    private long _baseTimestamp;
    private long _maxTimestamp = -1;
    private bool _sealed;
    private CompressionCodec _codec;

    /// <summary>Rents a buffer of at least <paramref name="initialCapacity"/> bytes from <paramref name="pool"/>
    /// (default <see cref="ArrayPool{T}.Shared"/>; a producer passes its own, sized for the batches it keeps in flight).</summary>
    public PooledRecordBatchWriter(int initialCapacity, ArrayPool<byte>? pool = null)
    {
        _pool = pool ?? ArrayPool<byte>.Shared;
        _buffer = _pool.Rent(Math.Max(HeaderSize + 64, initialCapacity));
    }

    /// <summary>Records appended.</summary>
    public int Count => _count;

    /// <summary>Bytes of the batch as it stands (header included; compressed once sealed).</summary>
    public int SizeInBytes => _length;

    /// <summary>The first record's timestamp.</summary>
    public long BaseTimestamp => _baseTimestamp;

    public bool IsSealed => _sealed;

    /// <summary>Bytes one record takes in a batch, length prefix included; <paramref name="encodedHeadersLength"/> is the
    /// size of the header section as <see cref="WriteHeader"/> writes it (without its count).</summary>
    public static int RecordSize(long timestampDelta, int offsetDelta, int keyLength, int valueLength, int headerCount, int encodedHeadersLength)
    {
        int body = BodySize(timestampDelta, offsetDelta, keyLength, valueLength, headerCount, encodedHeadersLength);
        return RecordVarint.SizeOf(body) + body;
    }

    /// <summary>The most bytes a record can take whatever the batch it lands in (timestamp and offset deltas at their widest).</summary>
    public static int MaxRecordSize(int keyLength, int valueLength, int headerCount, int encodedHeadersLength) =>
        RecordSize(long.MinValue, int.MaxValue, keyLength, valueLength, headerCount, encodedHeadersLength);

    private static int BodySize(long timestampDelta, int offsetDelta, int keyLength, int valueLength, int headerCount, int encodedHeadersLength) =>
        1 + RecordVarint.SizeOf(timestampDelta) + RecordVarint.SizeOf(offsetDelta)
        + RecordVarint.SizeOf(keyLength) + Math.Max(0, keyLength)
        + RecordVarint.SizeOf(valueLength) + Math.Max(0, valueLength)
        + RecordVarint.SizeOf(headerCount) + encodedHeadersLength;

    /// <summary>Size of one header as <see cref="WriteHeader"/> writes it.</summary>
    public static int HeaderEncodedSize(string key, int valueLength)
    {
        int keyLength = Encoding.UTF8.GetByteCount(key);
        return RecordVarint.SizeOf(keyLength) + keyLength + RecordVarint.SizeOf(valueLength) + Math.Max(0, valueLength);
    }

    /// <summary>Encodes one record header (key, value; a null value as length -1) into <paramref name="destination"/>.</summary>
    public static int WriteHeader(Span<byte> destination, string key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        int keyLength = Encoding.UTF8.GetByteCount(key);
        int p = RecordVarint.Write(destination, keyLength);
        p += Encoding.UTF8.GetBytes(key, destination.Slice(p));
        p += WriteBytes(destination.Slice(p), value, valueIsNull ? -1 : value.Length);
        return p;
    }

    /// <summary>Bytes the next record would add to this batch.</summary>
    public int SizeOfNext(long timestamp, int keyLength, int valueLength, int headerCount, int encodedHeadersLength) =>
        RecordSize(_count == 0 ? 0 : timestamp - _baseTimestamp, _count, keyLength, valueLength, headerCount, encodedHeadersLength);

    /// <summary>Appends a record at the next offset delta. <paramref name="encodedHeaders"/> holds
    /// <paramref name="headerCount"/> headers as <see cref="WriteHeader"/> writes them.</summary>
    /// <returns>The bytes the record took.</returns>
    public int Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        int headerCount, ReadOnlySpan<byte> encodedHeaders)
    {
        if (_sealed) throw new InvalidOperationException("The batch is sealed; no record can be appended.");
        if (_count >= MaxRecords) throw new InvalidOperationException($"A batch holds at most {MaxRecords} records.");
        if (_count == 0) _baseTimestamp = timestamp;
        long timestampDelta = timestamp - _baseTimestamp;
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        int body = BodySize(timestampDelta, _count, keyLength, valueLength, headerCount, encodedHeaders.Length);
        int total = RecordVarint.SizeOf(body) + body;
        EnsureCapacity(_length + total);

        Span<byte> span = _buffer.AsSpan(_length, total);
        int p = RecordVarint.Write(span, body);
        span[p++] = 0; // record attributes: unused
        p += RecordVarint.Write(span.Slice(p), timestampDelta);
        p += RecordVarint.Write(span.Slice(p), _count);
        p += WriteBytes(span.Slice(p), key, keyLength);
        p += WriteBytes(span.Slice(p), value, valueLength);
        p += RecordVarint.Write(span.Slice(p), headerCount);
        encodedHeaders.CopyTo(span.Slice(p));
        _length += total;
        _count++;
        if (timestamp > _maxTimestamp) _maxTimestamp = timestamp;
        return total;
    }

    /// <summary>Ends appending; with a codec other than None the records are compressed (once) into a new pooled buffer.</summary>
    public void Seal(CompressionCodec codec)
    {
        if (_sealed) return;
        _sealed = true;
        _codec = codec;
        if (codec == CompressionCodec.None || _count == 0) return;
        var output = new PooledBufferWriter(_pool, Math.Max(256, _length / 2 + HeaderSize));
        output.Advance(HeaderSize);
        KafkaCompression.Compress(codec, _buffer.AsSpan(HeaderSize, _length - HeaderSize), output);
        _pool.Return(_buffer);
        _buffer = output.Detach(out _length);
    }

    /// <summary>Writes the batch header (base offset 0, as producers send it) and the CRC. May be called again with
    /// other idempotence values.</summary>
    public void Stamp(long producerId, short producerEpoch, int baseSequence, bool transactional = false)
    {
        if (!_sealed) throw new InvalidOperationException("Seal the batch before stamping it.");
        Span<byte> batch = _buffer.AsSpan(0, _length);
        BinaryPrimitives.WriteInt64BigEndian(batch, 0);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(8), _length - 12);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(12), -1); // partition leader epoch: the broker sets it
        batch[16] = 2;
        int attributes = (int)_codec | (transactional ? RecordBatchInfo.AttributeTransactional : 0);
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(21), (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(23), Math.Max(0, _count - 1));
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(27), _count == 0 ? -1 : _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(35), _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(43), producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(51), producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(53), baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(57), _count);
        BinaryPrimitives.WriteUInt32BigEndian(batch.Slice(17), Crc32C.Compute(batch.Slice(21)));
    }

    /// <summary>The whole batch; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory => _sealed
        ? new ReadOnlyMemory<byte>(_buffer, 0, _length)
        : throw new InvalidOperationException("Seal the batch before reading it.");

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null!);
        if (buffer is not null) _pool.Return(buffer);
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length) return;
        var bigger = _pool.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        _pool.Return(_buffer);
        _buffer = bigger;
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

    /// <summary>An <see cref="IBufferWriter{T}"/> over pooled arrays whose final array is handed over.</summary>
    private sealed class PooledBufferWriter(ArrayPool<byte> pool, int initialCapacity) : IBufferWriter<byte>
    {
        private byte[] _array = pool.Rent(initialCapacity);
        private int _written;

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Grow(sizeHint);
            return _array.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Grow(sizeHint);
            return _array.AsSpan(_written);
        }

        public byte[] Detach(out int written)
        {
            written = _written;
            return _array;
        }

        private void Grow(int sizeHint)
        {
            var needed = _written + Math.Max(1, sizeHint);
            if (needed <= _array.Length) return;
            var bigger = pool.Rent(Math.Max(needed, _array.Length * 2));
            _array.AsSpan(0, _written).CopyTo(bigger);
            pool.Return(_array);
            _array = bigger;
        }
    }
}
