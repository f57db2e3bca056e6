using System.Runtime.CompilerServices;

namespace TypedKafka.Protocol;

/// <summary>
/// The zig-zag varints of the record format (magic 2). These intentionally stay local to the
/// record decoder rather than going through the general-purpose <c>Varint</c> class: records are the
/// hottest path, and these small bool-returning forms inline into the record loop with a one-byte fast path.
/// </summary>
internal static class RecordVarint
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadInt32(ReadOnlySpan<byte> source, ref int pos, out int value)
    {
        if ((uint)pos < (uint)source.Length)
        {
            uint b = source[pos];
            if (b < 0x80)
            {
                pos++;
                value = (int)(b >> 1) ^ -(int)(b & 1);
                return true;
            }
        }

        return TryReadInt32Slow(source, ref pos, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadInt32Slow(ReadOnlySpan<byte> source, ref int pos, out int value)
    {
        uint result = 0;
        for (int shift = 0, i = pos; shift < 35; shift += 7, i++)
        {
            if ((uint)i >= (uint)source.Length) break;
            uint b = source[i];
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                pos = i + 1;
                value = (int)(result >> 1) ^ -(int)(result & 1);
                return true;
            }
        }

        value = 0; // truncated, or more than 5 bytes
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadInt64(ReadOnlySpan<byte> source, ref int pos, out long value)
    {
        if ((uint)pos < (uint)source.Length)
        {
            ulong b = source[pos];
            if (b < 0x80)
            {
                pos++;
                value = (long)(b >> 1) ^ -(long)(b & 1);
                return true;
            }
        }

        return TryReadInt64Slow(source, ref pos, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadInt64Slow(ReadOnlySpan<byte> source, ref int pos, out long value)
    {
        ulong result = 0;
        for (int shift = 0, i = pos; shift < 70; shift += 7, i++)
        {
            if ((uint)i >= (uint)source.Length) break;
            ulong b = source[i];
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                pos = i + 1;
                value = (long)(result >> 1) ^ -(long)(result & 1);
                return true;
            }
        }

        value = 0; // truncated, or more than 10 bytes
        return false;
    }

    public static int SizeOf(long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        int size = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            size++;
        }

        return size;
    }

    public static int Write(Span<byte> destination, long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        int i = 0;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[i++] = (byte)v;
        return i;
    }
}
