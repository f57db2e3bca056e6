using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace TypedKafka.Protocol;

/// <summary>
/// Reads the records blob of one partition in a Fetch response: a sequence of record batches
/// (magic 2) and/or legacy messages (magic 0/1), batch by batch and record by record, without
/// allocating per record. A pure function over bytes: no sockets, no state beyond the position.
/// </summary>
/// <remarks>
/// <para>A trailing batch cut off by the broker's fetch size limit is normal and ends the data
/// (<see cref="HasTruncatedTail"/>); a batch that is complete but malformed throws a
/// <see cref="KafkaProtocolException"/> whose position is the byte offset in the blob.</para>
/// <para>Compressed batches are decompressed lazily, on their first record, into a pooled buffer the
/// reader owns and reuses; records of such a batch are valid until the next batch is read or the
/// reader is disposed. A consumer can therefore skip an aborted transaction's batch without
/// paying for its decompression.</para>
/// <para>Batches and records below the start offset are skipped: a fetch at offset 105 may return
/// the whole batch that starts at 100.</para>
/// <para>After a <see cref="KafkaProtocolException"/> for a malformed batch or record, the rest of that
/// batch is dropped and <see cref="TryReadNextBatch"/> continues with the next one.</para>
/// <para>Not thread-safe; reusable through <see cref="Reset"/>.</para>
/// </remarks>
public sealed partial class RecordSetReader : IDisposable
{
    /// <summary>Offset int64 + size int32: the framing every magic shares.</summary>
    private const int LogOverhead = 12;

    /// <summary>The magic byte's offset, the same in all three formats.</summary>
    private const int MagicOffset = 16;

    /// <summary>The smallest legal size field: a magic-0 message with null key and value (Java's RECORD_OVERHEAD_V0).</summary>
    private const int MinimumSize = 14;

    private ReadOnlyMemory<byte> _records;
    private byte[]? _recordsArray;
    private int _recordsArrayOffset;
    private RecordReadOptions _options = RecordReadOptions.Default;
    private int _nextBatchPosition;

    private RecordBatchInfo _batch;
    private RecordContext _context;
    private int _recordsRemaining;

    // The records of the current batch: a window of the blob or of the decompressed buffer.
    private byte[]? _dataArray;
    private int _dataStart;
    private int _dataLength;
    private int _dataBlobPosition;
    private bool _dataIsDecompressed;
    private int _recordPos;

    private bool _decompressionPending;
    private int _compressedStart;
    private int _compressedLength;
    private byte[]? _decompressed;
    private bool _disposed;

    /// <summary>Creates a reader over <paramref name="records"/> (the Records field of one partition of a Fetch response).</summary>
    /// <param name="records">The records blob; must stay unchanged while the reader and its records are in use.</param>
    /// <param name="options">CRC checking and the decompression limit; <see cref="RecordReadOptions.Default"/> when null.</param>
    /// <param name="startOffset">Records with lower offsets are skipped (the fetch offset).</param>
    public RecordSetReader(ReadOnlyMemory<byte> records, RecordReadOptions? options = null, long startOffset = 0)
    {
        Reset(records, options, startOffset);
    }

    /// <summary>The offset below which records are skipped.</summary>
    public long StartOffset { get; private set; }

    /// <summary>Bytes of the blob consumed so far: the start of the next batch.</summary>
    public int Position => _nextBatchPosition;

    /// <summary>After <see cref="TryReadNextBatch"/> returned false: the blob ended with an incomplete batch
    /// (cut off at the fetch size limit; if it is the only one, the batch is larger than the fetch size).</summary>
    public bool HasTruncatedTail { get; private set; }

    /// <summary>The batch read by the last successful <see cref="TryReadNextBatch"/>.</summary>
    public RecordBatchInfo CurrentBatch => _batch;

    /// <summary>Points the reader at a new blob, keeping its pooled decompression buffer.</summary>
    public void Reset(ReadOnlyMemory<byte> records, RecordReadOptions? options = null, long startOffset = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _records = records;
        if (MemoryMarshal.TryGetArray(records, out ArraySegment<byte> segment))
        {
            _recordsArray = segment.Array;
            _recordsArrayOffset = segment.Offset;
        }
        else
        {
            _recordsArray = null;
            _recordsArrayOffset = 0;
        }

        _options = options ?? RecordReadOptions.Default;
        StartOffset = startOffset;
        _nextBatchPosition = 0;
        HasTruncatedTail = false;
        ClearBatch();
    }

    /// <summary>
    /// Moves to the next batch whose last offset is at or above <see cref="StartOffset"/>, skipping
    /// any records left in the current one. Returns false at the end of the data, including when the
    /// rest is an incomplete batch (see <see cref="HasTruncatedTail"/>).
    /// </summary>
    /// <exception cref="KafkaProtocolException">A complete batch is malformed, fails its CRC check (when enabled),
    /// or (legacy compressed messages, decompressed here) does not decompress.</exception>
    public bool TryReadNextBatch(out RecordBatchInfo batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ClearBatch();
        ReadOnlySpan<byte> span = _records.Span;
        while (true)
        {
            int pos = _nextBatchPosition;
            int remaining = span.Length - pos;
            if (remaining < LogOverhead)
            {
                HasTruncatedTail = remaining > 0;
                batch = default;
                return false;
            }

            int size = BinaryPrimitives.ReadInt32BigEndian(span.Slice(pos + 8));
            if (size < MinimumSize)
            {
                ThrowMalformed($"Record batch size {size} is less than the minimum of {MinimumSize}", pos + 8);
            }

            if (size > remaining - LogOverhead)
            {
                HasTruncatedTail = true;
                batch = default;
                return false;
            }

            ReadOnlySpan<byte> bytes = span.Slice(pos, LogOverhead + size);
            _nextBatchPosition = pos + LogOverhead + size;
            byte magic = bytes[MagicOffset];
            bool found = magic switch
            {
                2 => TryBeginV2Batch(bytes, pos),
                0 or 1 => TryBeginLegacyBatch(bytes, pos, magic),
                _ => ThrowMalformed<bool>($"Unsupported record batch magic {magic}", pos + MagicOffset),
            };

            if (found)
            {
                batch = _batch;
                return true;
            }
        }
    }

    /// <summary>Reads the next record of the current batch at or above <see cref="StartOffset"/>.</summary>
    /// <exception cref="KafkaProtocolException">The record is malformed or the batch does not decompress.</exception>
    public bool TryReadNextRecord(out Record record)
    {
        while (_recordsRemaining > 0)
        {
            if (_decompressionPending) DecompressCurrentBatch();
            ReadOnlySpan<byte> data = _dataArray is not null
                ? new ReadOnlySpan<byte>(_dataArray, _dataStart, _dataLength)
                : _records.Span.Slice(_dataStart, _dataLength);
            _recordsRemaining--;
            if (_batch.Magic == 2)
            {
                ReadV2Record(data, out record);
            }
            else
            {
                ReadLegacyRecord(data, out record);
            }

            if (_recordsRemaining == 0 && _recordPos != data.Length)
            {
                // Java rejects this too ("Incorrect declared batch size, records still remaining").
                ThrowRecordMalformed($"{data.Length - _recordPos} bytes follow the last of the {_batch.RecordCount} declared records", _recordPos);
            }

            if (record.Offset >= StartOffset) return true;
        }

        record = default;
        return false;
    }

    /// <summary>The records of the current batch at or above <see cref="StartOffset"/>, for <c>foreach</c>.</summary>
    public RecordEnumerator ReadRecords() => new(this);

    /// <summary>Returns the pooled decompression buffer.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearBatch();
        _records = default;
        _recordsArray = null;
        if (_decompressed is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_decompressed);
            _decompressed = null;
        }
    }

    private void ClearBatch()
    {
        _batch = default;
        _context = default;
        _recordsRemaining = 0;
        _decompressionPending = false;
        _dataArray = null;
        _dataStart = _dataLength = _dataBlobPosition = _recordPos = 0;
        _dataIsDecompressed = false;
    }

    /// <summary>Makes a window of the blob the current batch's record data.</summary>
    private void SetBlobData(int blobPosition, int length)
    {
        _dataIsDecompressed = false;
        _dataBlobPosition = blobPosition;
        _dataLength = length;
        _recordPos = 0;
        if (_recordsArray is not null)
        {
            _dataArray = _recordsArray;
            _dataStart = _recordsArrayOffset + blobPosition;
        }
        else
        {
            _dataArray = null;
            _dataStart = blobPosition;
        }
    }

    /// <summary>Decompresses into the pooled buffer and makes it the current batch's record data.</summary>
    private int DecompressIntoBuffer(int blobPosition, int length, byte magic)
    {
        Lz4HeaderChecksum lz4 = !_options.CheckCrcs ? Lz4HeaderChecksum.Ignore
            : magic == 0 ? Lz4HeaderChecksum.VerifyAllowKafka3160
            : Lz4HeaderChecksum.Verify;
        int n = KafkaCompression.Decompress(_batch.Compression, _records.Span.Slice(blobPosition, length), ref _decompressed,
            _options.MaxDecompressedBytes, _batch.Position, lz4);
        _dataArray = _decompressed;
        _dataStart = 0;
        _dataLength = n;
        _dataBlobPosition = _batch.Position;
        _dataIsDecompressed = true;
        _recordPos = 0;
        return n;
    }

    private void DecompressCurrentBatch()
    {
        // If decompression throws, the batch must read as finished rather than as stale data.
        int remaining = _recordsRemaining;
        _recordsRemaining = 0;
        _decompressionPending = false;
        DecompressIntoBuffer(_compressedStart, _compressedLength, _batch.Magic);
        _recordsRemaining = remaining;
    }

    [DoesNotReturn]
    private void ThrowMalformed(string message, int position) =>
        throw new KafkaProtocolException(message, position: position);

    [DoesNotReturn]
    private T ThrowMalformed<T>(string message, int position) =>
        throw new KafkaProtocolException(message, position: position);

    /// <summary>Throws for bad record data at <paramref name="dataPosition"/> of the current batch's record data.</summary>
    [DoesNotReturn]
    private void ThrowRecordMalformed(string message, int dataPosition)
    {
        _recordsRemaining = 0; // the rest of a malformed batch is unreadable; the next batch still is
        if (_dataIsDecompressed)
        {
            throw new KafkaProtocolException(
                $"{message} (byte {dataPosition} of the decompressed {_batch.Compression} records of the batch at offset {_batch.BaseOffset})",
                position: _batch.Position);
        }

        throw new KafkaProtocolException($"{message} (batch at offset {_batch.BaseOffset})", position: _dataBlobPosition + dataPosition);
    }

    /// <summary>Enumerates the current batch's records without allocating.</summary>
    public ref struct RecordEnumerator
    {
        private readonly RecordSetReader _reader;
        private Record _current;

        internal RecordEnumerator(RecordSetReader reader)
        {
            _reader = reader;
            _current = default;
        }

        public readonly Record Current => _current;

        public readonly RecordEnumerator GetEnumerator() => this;

        public bool MoveNext() => _reader.TryReadNextRecord(out _current);
    }
}
