using System.Numerics;
using System.Runtime.CompilerServices;

namespace TypedKafka.Protocol;

/// <summary>
/// Protocol-buffers style base-128 varints as used by Kafka: unsigned varints for compact lengths and
/// tag numbers (KIP-482), zig-zag varints/varlongs inside record batches (KIP-98).
/// </summary>
/// <remarks>
/// Like Kafka's <c>ByteUtils</c>, an encoding longer than 5 bytes (32-bit) or 10 bytes (64-bit) is
/// rejected; surplus high bits in the final byte are ignored, which is also what the broker does.
/// Methods named <c>Read…</c> throw <see cref="KafkaProtocolException"/> with the offset inside
/// <c>source</c>; methods named <c>TryRead…</c> return false for both truncated and over-long input.
/// </remarks>
public static class Varint
{
    /// <summary>Longest encoding of a 32-bit varint.</summary>
    public const int MaxLength32 = 5;

    /// <summary>Longest encoding of a 64-bit varint.</summary>
    public const int MaxLength64 = 10;

    /// <summary>Decodes an unsigned varint. False when <paramref name="source"/> ends first or the encoding is over-long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadUnsignedVarint(ReadOnlySpan<byte> source, out uint value, out int bytesConsumed)
    {
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            bytesConsumed = 1;
            return true;
        }
        return TryReadUnsignedVarintSlow(source, out value, out bytesConsumed) == 0;
    }

    /// <summary>Decodes an unsigned varint and returns the number of bytes consumed.</summary>
    public static int ReadUnsignedVarint(ReadOnlySpan<byte> source, out uint value)
    {
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            return 1;
        }
        int status = TryReadUnsignedVarintSlow(source, out value, out int consumed);
        if (status != 0) ThrowBad(status, consumed);
        return consumed;
    }

    /// <summary>Decodes a zig-zag encoded 32-bit varint. False when truncated or over-long.</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> source, out int value, out int bytesConsumed)
    {
        bool ok = TryReadUnsignedVarint(source, out uint raw, out bytesConsumed);
        value = ZigZagDecode(raw);
        return ok;
    }

    /// <summary>Decodes a zig-zag encoded 32-bit varint and returns the number of bytes consumed.</summary>
    public static int ReadVarint(ReadOnlySpan<byte> source, out int value)
    {
        int consumed = ReadUnsignedVarint(source, out uint raw);
        value = ZigZagDecode(raw);
        return consumed;
    }

    /// <summary>Decodes an unsigned 64-bit varint. False when truncated or over-long.</summary>
    public static bool TryReadUnsignedVarlong(ReadOnlySpan<byte> source, out ulong value, out int bytesConsumed)
    {
        ulong result = 0;
        int shift = 0;
        for (int i = 0; i < source.Length; i++)
        {
            byte b = source[i];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                bytesConsumed = i + 1;
                return true;
            }
            shift += 7;
            if (i == MaxLength64 - 1) break;
        }
        value = 0;
        bytesConsumed = Math.Min(source.Length, MaxLength64);
        return false;
    }

    /// <summary>Decodes a zig-zag encoded 64-bit varint. False when truncated or over-long.</summary>
    public static bool TryReadVarlong(ReadOnlySpan<byte> source, out long value, out int bytesConsumed)
    {
        bool ok = TryReadUnsignedVarlong(source, out ulong raw, out bytesConsumed);
        value = ZigZagDecode(raw);
        return ok;
    }

    /// <summary>Decodes a zig-zag encoded 64-bit varint and returns the number of bytes consumed.</summary>
    public static int ReadVarlong(ReadOnlySpan<byte> source, out long value)
    {
        if (!TryReadUnsignedVarlong(source, out ulong raw, out int consumed))
        {
            ThrowBad(source.Length >= MaxLength64 ? 2 : 1, consumed);
        }
        value = ZigZagDecode(raw);
        return consumed;
    }

    public static int SizeOfUnsignedVarint(uint value) =>
        // (bits needed + 6) / 7 with a floor of one byte; LeadingZeroCount(0) == 32.
        (38 - BitOperations.LeadingZeroCount(value | 1)) / 7;

    public static int SizeOfVarint(int value) => SizeOfUnsignedVarint(ZigZagEncode(value));

    public static int SizeOfUnsignedVarlong(ulong value) => (70 - BitOperations.LeadingZeroCount(value | 1)) / 7;

    public static int SizeOfVarlong(long value) => SizeOfUnsignedVarlong(ZigZagEncode(value));

    /// <summary>Writes an unsigned varint and returns the number of bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteUnsignedVarint(Span<byte> destination, uint value)
    {
        if (value < 0x80 && destination.Length > 0)
        {
            destination[0] = (byte)value;
            return 1;
        }
        return WriteUnsignedVarlong(destination, value);
    }

    public static int WriteVarint(Span<byte> destination, int value) => WriteUnsignedVarint(destination, ZigZagEncode(value));

    public static int WriteUnsignedVarlong(Span<byte> destination, ulong value)
    {
        int size = SizeOfUnsignedVarlong(value);
        if (destination.Length < size) ProtocolThrow.DestinationTooSmall(size, destination.Length);
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteVarlong(Span<byte> destination, long value) => WriteUnsignedVarlong(destination, ZigZagEncode(value));

    public static uint ZigZagEncode(int value) => (uint)((value << 1) ^ (value >> 31));

    public static ulong ZigZagEncode(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static int ZigZagDecode(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    public static long ZigZagDecode(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    // 0 = ok, 1 = truncated, 2 = over-long.
    private static int TryReadUnsignedVarintSlow(ReadOnlySpan<byte> source, out uint value, out int bytesConsumed)
    {
        uint result = 0;
        int shift = 0;
        for (int i = 0; i < source.Length; i++)
        {
            byte b = source[i];
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                bytesConsumed = i + 1;
                return 0;
            }
            if (i == MaxLength32 - 1)
            {
                value = 0;
                bytesConsumed = MaxLength32;
                return 2;
            }
            shift += 7;
        }
        value = 0;
        bytesConsumed = source.Length;
        return 1;
    }

    private static void ThrowBad(int status, int consumed)
    {
        if (status == 2) ProtocolThrow.Malformed("Varint is longer than its maximum encoded length", -1, -1, consumed - 1);
        ProtocolThrow.Truncated(consumed + 1, consumed, -1, -1, consumed);
    }
}
