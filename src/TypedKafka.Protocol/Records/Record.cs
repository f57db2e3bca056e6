using System.Text;

namespace TypedKafka.Protocol;

/// <summary>
/// One record, as a view over the fetched (or decompressed) bytes: <see cref="Key"/>, <see cref="Value"/>
/// and the headers are spans into that buffer, so reading a record allocates nothing. Valid until
/// the reader moves to the next batch (compressed data) or is disposed.
/// </summary>
/// <remarks>
/// Record layout (magic 2), varints zig-zag encoded:
/// <c>length varint, attributes int8, timestampDelta varlong, offsetDelta varint, keyLength varint,
/// key, valueLength varint, value, headerCount varint, [headerKeyLength varint, headerKey,
/// headerValueLength varint, headerValue]</c>; a length of -1 is null.
/// </remarks>
public readonly ref struct Record
{
    private const byte KeyNullFlag = 1;
    private const byte ValueNullFlag = 2;

    private readonly ReadOnlySpan<byte> _headers;
    private readonly int _headerCount;
    private readonly byte _flags;

    internal Record(in RecordContext batch, long offset, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, ReadOnlySpan<byte> headers, int headerCount, ControlRecordType controlType)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        Value = value;
        _headers = headers;
        _headerCount = headerCount;
        _flags = (byte)((keyIsNull ? KeyNullFlag : 0) | (valueIsNull ? ValueNullFlag : 0));
        TimestampType = batch.TimestampType;
        LeaderEpoch = batch.LeaderEpoch;
        ProducerId = batch.ProducerId;
        IsTransactional = batch.IsTransactional;
        ControlType = controlType;
    }

    /// <summary>The record's absolute offset in the partition.</summary>
    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch; for <see cref="TimestampType.LogAppendTime"/> the batch's max timestamp; -1 for magic 0.</summary>
    public long Timestamp { get; }

    public TimestampType TimestampType { get; }

    /// <summary>The partition leader epoch of the batch (KIP-101, used for log truncation detection); -1 for legacy messages.</summary>
    public int LeaderEpoch { get; }

    /// <summary>The key bytes; empty when <see cref="IsKeyNull"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The value bytes; empty when <see cref="IsValueNull"/> (a tombstone on compacted topics).</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsKeyNull => (_flags & KeyNullFlag) != 0;

    public bool IsValueNull => (_flags & ValueNullFlag) != 0;

    public RecordHeaders Headers => new(_headers, _headerCount);

    public long ProducerId { get; }

    public bool IsTransactional { get; }

    /// <summary>The record is a control record (a transaction marker), not user data.</summary>
    public bool IsControl => ControlType != ControlRecordType.None;

    /// <summary>The marker type of a control record; <see cref="ControlRecordType.None"/> for user records.</summary>
    public ControlRecordType ControlType { get; }
}

/// <summary>What every record of a batch shares, computed once per batch to keep the per-record path short.</summary>
internal readonly struct RecordContext(in RecordBatchInfo batch)
{
    public readonly long ProducerId = batch.ProducerId;
    public readonly int LeaderEpoch = batch.PartitionLeaderEpoch;
    public readonly TimestampType TimestampType = batch.TimestampType;
    public readonly bool IsTransactional = batch.IsTransactional;
    public readonly bool IsControl = batch.IsControl;
}

/// <summary>The headers of one record (KIP-82), decoded lazily from the record bytes (already validated).</summary>
public readonly ref struct RecordHeaders
{
    private readonly ReadOnlySpan<byte> _data;

    internal RecordHeaders(ReadOnlySpan<byte> data, int count)
    {
        _data = data;
        Count = count;
    }

    public int Count { get; }

    public Enumerator GetEnumerator() => new(_data, Count);

    /// <summary>Finds the last header with this UTF-8 key (Kafka's <c>Headers.lastHeader</c>).</summary>
    public bool TryGetLast(ReadOnlySpan<byte> utf8Key, out RecordHeader header)
    {
        bool found = false;
        header = default;
        foreach (RecordHeader h in this)
        {
            if (h.Key.SequenceEqual(utf8Key))
            {
                header = h;
                found = true;
            }
        }

        return found;
    }

    /// <summary>Walks the headers without allocating.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _remaining;
        private int _pos;
        private RecordHeader _current;

        internal Enumerator(ReadOnlySpan<byte> data, int count)
        {
            _data = data;
            _remaining = count;
        }

        public readonly RecordHeader Current => _current;

        public bool MoveNext()
        {
            if (_remaining == 0) return false;
            _remaining--;

            // The record reader validated these bytes; the checks here only keep a bug from reading out of range.
            RecordVarint.TryReadInt32(_data, ref _pos, out int keyLength);
            ReadOnlySpan<byte> key = _data.Slice(_pos, keyLength);
            _pos += keyLength;
            RecordVarint.TryReadInt32(_data, ref _pos, out int valueLength);
            ReadOnlySpan<byte> value = default;
            if (valueLength >= 0)
            {
                value = _data.Slice(_pos, valueLength);
                _pos += valueLength;
            }

            _current = new RecordHeader(key, value, valueLength < 0);
            return true;
        }
    }
}

/// <summary>One record header: a UTF-8 key and a value that may be null.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isValueNull)
    {
        Key = key;
        Value = value;
        IsValueNull = isValueNull;
    }

    /// <summary>The key, UTF-8 encoded.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The value; empty when <see cref="IsValueNull"/>.</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    /// <summary>Decodes the key (allocates a string).</summary>
    public string GetKeyString() => Encoding.UTF8.GetString(Key);
}
