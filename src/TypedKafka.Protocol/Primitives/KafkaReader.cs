using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace TypedKafka.Protocol;

/// <summary>
/// Reads Kafka protocol primitives from one complete, in-memory message. Bytes and records fields
/// come back as slices of the input (no copy), so the input must outlive the decoded message.
/// </summary>
/// <remarks>
/// Every length and element count is checked against the bytes that remain before anything is
/// allocated, so a hostile length can never make a decoder allocate more than the input justifies.
/// Failures are <see cref="KafkaProtocolException"/>s carrying the API key, version and position set
/// through <see cref="SetContext"/>.
/// </remarks>
public ref struct KafkaReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;
    private short _apiKey;
    private short _apiVersion;

    public KafkaReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _apiKey = -1;
        _apiVersion = -1;
    }

    public KafkaReader(ReadOnlyMemory<byte> memory, short apiKey, short apiVersion) : this(memory)
    {
        _apiKey = apiKey;
        _apiVersion = apiVersion;
    }

    /// <summary>Offset of the next byte to read, from the start of the input.</summary>
    public readonly int Position => _position;

    public readonly int Length => _span.Length;

    public readonly int Remaining => _span.Length - _position;

    public readonly bool IsAtEnd => _position >= _span.Length;

    /// <summary>The API key reported in exceptions (-1 when not decoding an API message).</summary>
    public readonly short ApiKey => _apiKey;

    /// <summary>The version reported in exceptions.</summary>
    public readonly short ApiVersion => _apiVersion;

    /// <summary>Names the message being decoded, for the exceptions thrown from here on.</summary>
    public void SetContext(short apiKey, short apiVersion)
    {
        _apiKey = apiKey;
        _apiVersion = apiVersion;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        int pos = _position;
        if ((uint)count > (uint)(_span.Length - pos)) ProtocolThrow.Truncated(count, _span.Length - pos, _apiKey, _apiVersion, pos);
        _position = pos + count;
        return _span.Slice(pos, count);
    }

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public KafkaUuid ReadUuid() => KafkaUuid.Read(Take(16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadUnsignedVarint()
    {
        if (!Varint.TryReadUnsignedVarint(_span[_position..], out uint value, out int consumed)) ThrowBadVarint(consumed);
        _position += consumed;
        return value;
    }

    public int ReadVarint() => Varint.ZigZagDecode(ReadUnsignedVarint());

    public long ReadVarlong()
    {
        if (!Varint.TryReadVarlong(_span[_position..], out long value, out int consumed)) ThrowBadVarint(consumed);
        _position += consumed;
        return value;
    }

    /// <summary>Returns the next <paramref name="length"/> bytes as a slice of the input.</summary>
    public ReadOnlyMemory<byte> ReadRawMemory(int length)
    {
        int pos = _position;
        Take(length);
        return _memory.Slice(pos, length);
    }

    public ReadOnlySpan<byte> ReadRawSpan(int length) => Take(length);

    public void Skip(int length) => Take(length);

    // ---- strings ----

    /// <summary>Classic STRING: int16 length, then UTF-8. Null is malformed.</summary>
    public string ReadString()
    {
        int start = _position;
        short length = ReadInt16();
        if (length < 0) ProtocolThrow.UnexpectedNull("string", _apiKey, _apiVersion, start);
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Classic NULLABLE_STRING: int16 length, -1 for null.</summary>
    public string? ReadNullableString()
    {
        int start = _position;
        short length = ReadInt16();
        if (length < 0)
        {
            if (length != -1) ProtocolThrow.Malformed($"Invalid string length {length}", _apiKey, _apiVersion, start);
            return null;
        }
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>COMPACT_STRING: unsigned varint length + 1, then UTF-8. Null is malformed.</summary>
    public string ReadCompactString()
    {
        int start = _position;
        return ReadCompactNullableString() ?? ThrowNullString(start);
    }

    /// <summary>COMPACT_NULLABLE_STRING: unsigned varint length + 1, 0 for null.</summary>
    public string? ReadCompactNullableString()
    {
        int start = _position;
        uint n = ReadUnsignedVarint();
        if (n == 0) return null;
        uint length = n - 1;
        if (length > (uint)Remaining) ProtocolThrow.LengthExceedsRemaining("String", length, Remaining, _apiKey, _apiVersion, start);
        return Encoding.UTF8.GetString(Take((int)length));
    }

    public string ReadString(bool compact) => compact ? ReadCompactString() : ReadString();

    public string? ReadNullableString(bool compact) => compact ? ReadCompactNullableString() : ReadNullableString();

    // ---- bytes / records ----

    /// <summary>Classic BYTES: int32 length, then the bytes (a slice of the input). Null is malformed.</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        int start = _position;
        return ReadNullableBytes() ?? ThrowNullBytes(start);
    }

    /// <summary>Classic NULLABLE_BYTES (and RECORDS): int32 length, -1 for null.</summary>
    public ReadOnlyMemory<byte>? ReadNullableBytes()
    {
        int start = _position;
        int length = ReadInt32();
        if (length < 0)
        {
            if (length != -1) ProtocolThrow.Malformed($"Invalid bytes length {length}", _apiKey, _apiVersion, start);
            return null;
        }
        if (length > Remaining) ProtocolThrow.LengthExceedsRemaining("Bytes", length, Remaining, _apiKey, _apiVersion, start);
        return ReadRawMemory(length);
    }

    public ReadOnlyMemory<byte> ReadCompactBytes()
    {
        int start = _position;
        return ReadCompactNullableBytes() ?? ThrowNullBytes(start);
    }

    /// <summary>COMPACT_NULLABLE_BYTES (and COMPACT_RECORDS): unsigned varint length + 1, 0 for null.</summary>
    public ReadOnlyMemory<byte>? ReadCompactNullableBytes()
    {
        int start = _position;
        uint n = ReadUnsignedVarint();
        if (n == 0) return null;
        uint length = n - 1;
        if (length > (uint)Remaining) ProtocolThrow.LengthExceedsRemaining("Bytes", length, Remaining, _apiKey, _apiVersion, start);
        return ReadRawMemory((int)length);
    }

    public ReadOnlyMemory<byte> ReadBytes(bool compact) => compact ? ReadCompactBytes() : ReadBytes();

    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact) => compact ? ReadCompactNullableBytes() : ReadNullableBytes();

    // ---- arrays ----

    /// <summary>
    /// Reads an array length (classic int32, or compact unsigned varint N+1) and checks that
    /// <c>count * minElementSize</c> bytes remain. Returns -1 for a null array when
    /// <paramref name="nullable"/>; a null array that is not allowed is malformed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadArrayLength(bool compact, bool nullable, int minElementSize)
    {
        int start = _position;
        long count;
        if (compact)
        {
            count = (long)ReadUnsignedVarint() - 1;
        }
        else
        {
            count = ReadInt32();
            if (count < -1) ProtocolThrow.Malformed($"Invalid array length {count}", _apiKey, _apiVersion, start);
        }
        if (count < 0)
        {
            if (!nullable) ProtocolThrow.UnexpectedNull("array", _apiKey, _apiVersion, start);
            return -1;
        }
        if (count * Math.Max(minElementSize, 1) > Remaining)
        {
            ProtocolThrow.LengthExceedsRemaining($"Array of {count} element(s) of at least {minElementSize} byte(s):", count * minElementSize, Remaining, _apiKey, _apiVersion, start);
        }
        return (int)count;
    }

    public int ReadArrayLength(int minElementSize) => ReadArrayLength(false, false, minElementSize);

    public int ReadNullableArrayLength(int minElementSize) => ReadArrayLength(false, true, minElementSize);

    public int ReadCompactArrayLength(int minElementSize) => ReadArrayLength(true, false, minElementSize);

    public int ReadCompactNullableArrayLength(int minElementSize) => ReadArrayLength(true, true, minElementSize);

    // ---- nullable structs ----

    /// <summary>Presence byte in front of a nullable struct: -1 means null, anything else present.</summary>
    public bool ReadStructPresent() => ReadInt8() >= 0;

    // ---- tagged fields (KIP-482) ----

    /// <summary>Reads the count that opens a tagged-field section; each field needs at least two bytes.</summary>
    public int ReadTaggedFieldCount()
    {
        int start = _position;
        uint count = ReadUnsignedVarint();
        if ((ulong)count * 2 > (ulong)Remaining) ProtocolThrow.LengthExceedsRemaining("Tagged field section of", count, Remaining, _apiKey, _apiVersion, start);
        return (int)count;
    }

    /// <summary>Reads one tagged field's tag and size, checking the size against what remains.</summary>
    public void ReadTaggedFieldHeader(out int tag, out int size)
    {
        int start = _position;
        uint rawTag = ReadUnsignedVarint();
        if (rawTag > int.MaxValue) ProtocolThrow.Malformed($"Tag {rawTag} is out of range", _apiKey, _apiVersion, start);
        int sizeStart = _position;
        uint rawSize = ReadUnsignedVarint();
        if (rawSize > (uint)Remaining) ProtocolThrow.LengthExceedsRemaining($"Tagged field {rawTag}", rawSize, Remaining, _apiKey, _apiVersion, sizeStart);
        tag = (int)rawTag;
        size = (int)rawSize;
    }

    /// <summary>Checks that a known tagged field consumed exactly the size its header announced.</summary>
    public readonly void EndTaggedField(int tag, int start, int size)
    {
        if (_position - start != size)
        {
            ProtocolThrow.Malformed($"Tagged field {tag} announced {size} byte(s) but its value took {_position - start}", _apiKey, _apiVersion, start);
        }
    }

    /// <summary>Keeps a tagged field nobody here understands, as a slice, so re-encoding preserves it.</summary>
    public void ReadUnknownTaggedField(int tag, int size, ref List<TaggedField>? fields)
    {
        var data = ReadRawMemory(size);
        (fields ??= new List<TaggedField>()).Add(new TaggedField(tag, data));
    }

    /// <summary>Reads a whole tagged-field section, keeping every field as unknown (e.g. for headers).</summary>
    public List<TaggedField>? ReadUnknownTaggedFields()
    {
        List<TaggedField>? fields = null;
        int count = ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            ReadTaggedFieldHeader(out int tag, out int size);
            ReadUnknownTaggedField(tag, size, ref fields);
        }
        return fields;
    }

    /// <summary>Throws a <see cref="KafkaProtocolException"/> at the current position.</summary>
    public readonly void ThrowMalformed(string message) => ProtocolThrow.Malformed(message, _apiKey, _apiVersion, _position);

    /// <summary>Wraps a non-protocol exception from a decoder into a <see cref="KafkaProtocolException"/> with context.</summary>
    public readonly KafkaProtocolException Wrap(Exception exception) =>
        exception as KafkaProtocolException is { } kpe
            ? kpe.WithApi(_apiKey, _apiVersion)
            : new KafkaProtocolException($"Malformed message: {exception.Message}", _apiKey, _apiVersion, _position, exception);

    private readonly void ThrowBadVarint(int consumed)
    {
        if (consumed >= Varint.MaxLength32 && Remaining >= consumed)
        {
            ProtocolThrow.Malformed("Varint is longer than its maximum encoded length", _apiKey, _apiVersion, _position);
        }
        ProtocolThrow.Truncated(consumed + 1, Remaining, _apiKey, _apiVersion, _position);
    }

    private readonly string ThrowNullString(int start)
    {
        ProtocolThrow.UnexpectedNull("string", _apiKey, _apiVersion, start);
        return null!;
    }

    private readonly ReadOnlyMemory<byte> ThrowNullBytes(int start)
    {
        ProtocolThrow.UnexpectedNull("bytes", _apiKey, _apiVersion, start);
        return default;
    }
}
