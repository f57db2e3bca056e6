using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace TypedKafka.Protocol;

/// <summary>
/// Writes Kafka protocol primitives into a destination span whose size was computed up front
/// (Kafka's <c>addSize</c>/<c>write</c> split): callers sum the <c>SizeOf…</c> helpers (or a message's
/// <c>ComputeSize</c>), rent exactly that much, then write. Mirrors <see cref="KafkaReader"/>.
/// </summary>
public ref struct KafkaWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public KafkaWriter(Span<byte> destination)
    {
        _buffer = destination;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>The bytes written so far.</summary>
    public readonly Span<byte> Written => _buffer[.._position];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Advance(int count)
    {
        int pos = _position;
        if ((uint)count > (uint)(_buffer.Length - pos)) ProtocolThrow.DestinationTooSmall(count, _buffer.Length - pos);
        _position = pos + count;
        return _buffer.Slice(pos, count);
    }

    public void WriteInt8(sbyte value) => Advance(1)[0] = (byte)value;

    public void WriteBool(bool value) => Advance(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Advance(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Advance(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Advance(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Advance(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Advance(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Advance(8), value);

    public void WriteUuid(KafkaUuid value) => value.Write(Advance(16));

    public void WriteUnsignedVarint(uint value)
    {
        if (value < 0x80)
        {
            Advance(1)[0] = (byte)value;
            return;
        }
        Varint.WriteUnsignedVarint(Advance(Varint.SizeOfUnsignedVarint(value)), value);
    }

    public void WriteVarint(int value) => WriteUnsignedVarint(Varint.ZigZagEncode(value));

    public void WriteVarlong(long value)
    {
        ulong raw = Varint.ZigZagEncode(value);
        Varint.WriteUnsignedVarlong(Advance(Varint.SizeOfUnsignedVarlong(raw)), raw);
    }

    public void WriteRaw(scoped ReadOnlySpan<byte> bytes) => bytes.CopyTo(Advance(bytes.Length));

    // ---- strings ----

    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > short.MaxValue) ProtocolThrow.StringTooLong(length);
        WriteInt16((short)length);
        Encoding.UTF8.GetBytes(value, Advance(length));
    }

    public void WriteNullableString(string? value)
    {
        if (value is null) WriteInt16(-1);
        else WriteString(value);
    }

    public void WriteCompactString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteUnsignedVarint((uint)length + 1);
        Encoding.UTF8.GetBytes(value, Advance(length));
    }

    public void WriteCompactNullableString(string? value)
    {
        if (value is null) WriteUnsignedVarint(0);
        else WriteCompactString(value);
    }

    public void WriteString(string value, bool compact)
    {
        if (compact) WriteCompactString(value);
        else WriteString(value);
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (compact) WriteCompactNullableString(value);
        else WriteNullableString(value);
    }

    // ---- bytes / records ----

    public void WriteBytes(scoped ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value)
    {
        if (value is null) WriteInt32(-1);
        else WriteBytes(value.Value.Span);
    }

    public void WriteCompactBytes(scoped ReadOnlySpan<byte> value)
    {
        WriteUnsignedVarint((uint)value.Length + 1);
        WriteRaw(value);
    }

    public void WriteCompactNullableBytes(ReadOnlyMemory<byte>? value)
    {
        if (value is null) WriteUnsignedVarint(0);
        else WriteCompactBytes(value.Value.Span);
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> value, bool compact)
    {
        if (compact) WriteCompactBytes(value);
        else WriteBytes(value);
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (compact) WriteCompactNullableBytes(value);
        else WriteNullableBytes(value);
    }

    // ---- arrays ----

    /// <summary>Writes an array length; <paramref name="count"/> -1 means a null array.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (compact) WriteUnsignedVarint((uint)(count + 1));
        else WriteInt32(count);
    }

    // ---- nullable structs ----

    public void WriteStructPresent(bool present) => WriteInt8(present ? (sbyte)1 : (sbyte)-1);

    // ---- tagged fields (KIP-482) ----

    /// <summary>Writes a whole tagged-field section made only of <paramref name="fields"/> (empty when null).</summary>
    public void WriteUnknownTaggedFields(List<TaggedField>? fields)
    {
        WriteUnsignedVarint((uint)(fields?.Count ?? 0));
        WriteUnknownTaggedFieldsBefore(fields, 0, int.MaxValue);
    }

    /// <summary>
    /// Writes, from index <paramref name="next"/>, the unknown fields whose tag is below
    /// <paramref name="tagLimit"/>; returns the index of the first one not written. Used between known
    /// tags because tagged fields must appear in ascending tag order.
    /// </summary>
    public int WriteUnknownTaggedFieldsBefore(List<TaggedField>? fields, int next, int tagLimit)
    {
        if (fields is null) return 0;
        while (next < fields.Count && (fields[next].Tag < tagLimit || tagLimit == int.MaxValue))
        {
            var field = fields[next++];
            WriteUnsignedVarint((uint)field.Tag);
            WriteUnsignedVarint((uint)field.Data.Length);
            WriteRaw(field.Data.Span);
        }
        return next;
    }

    public void WriteTaggedFieldHeader(int tag, int size)
    {
        WriteUnsignedVarint((uint)tag);
        WriteUnsignedVarint((uint)size);
    }

    // ---- sizes (the addSize half) ----

    public static int SizeOfUnsignedVarint(uint value) => Varint.SizeOfUnsignedVarint(value);

    public static int SizeOfString(string value, bool compact)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        return compact ? Varint.SizeOfUnsignedVarint((uint)length + 1) + length : 2 + length;
    }

    public static int SizeOfNullableString(string? value, bool compact) =>
        value is null ? (compact ? 1 : 2) : SizeOfString(value, compact);

    public static int SizeOfBytes(int length, bool compact) =>
        compact ? Varint.SizeOfUnsignedVarint((uint)length + 1) + length : 4 + length;

    public static int SizeOfNullableBytes(ReadOnlyMemory<byte>? value, bool compact) =>
        value is null ? (compact ? 1 : 4) : SizeOfBytes(value.Value.Length, compact);

    /// <summary>Size of an array length; <paramref name="count"/> -1 means a null array.</summary>
    public static int SizeOfArrayLength(int count, bool compact) =>
        compact ? Varint.SizeOfUnsignedVarint((uint)(count + 1)) : 4;

    public static int SizeOfTaggedFieldHeader(int tag, int size) =>
        Varint.SizeOfUnsignedVarint((uint)tag) + Varint.SizeOfUnsignedVarint((uint)size);

    /// <summary>Size of the unknown fields alone (without the section's count).</summary>
    public static int SizeOfUnknownTaggedFields(List<TaggedField>? fields)
    {
        if (fields is null) return 0;
        int size = 0;
        foreach (var field in fields) size += SizeOfTaggedFieldHeader(field.Tag, field.Data.Length) + field.Data.Length;
        return size;
    }

    /// <summary>Size of a tagged-field section made only of <paramref name="fields"/>.</summary>
    public static int SizeOfTaggedFieldSection(List<TaggedField>? fields) =>
        Varint.SizeOfUnsignedVarint((uint)(fields?.Count ?? 0)) + SizeOfUnknownTaggedFields(fields);
}
