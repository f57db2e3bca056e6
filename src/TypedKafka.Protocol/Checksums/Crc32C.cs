using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TypedKafka.Protocol;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batches from magic 2 on (KIP-98): it covers every
/// byte from the batch's attributes to its end.
/// </summary>
/// <remarks>
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> maps to the SSE4.2 / ARMv8 CRC instructions and
/// has a software fallback elsewhere. It is the raw CRC step, so the usual pre- and post-inversion
/// are done here.
/// </remarks>
public static class Crc32C
{
    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>Continues a CRC-32C computed with <see cref="Compute"/> over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        // Four 8-byte steps per iteration keeps the loop overhead out of the instruction's 3-cycle latency.
        for (; i + 32 <= length; i += 32)
        {
            crc = BitOperations.Crc32C(crc, ReadUInt64LittleEndian(ref p, i));
            crc = BitOperations.Crc32C(crc, ReadUInt64LittleEndian(ref p, i + 8));
            crc = BitOperations.Crc32C(crc, ReadUInt64LittleEndian(ref p, i + 16));
            crc = BitOperations.Crc32C(crc, ReadUInt64LittleEndian(ref p, i + 24));
        }

        for (; i + 8 <= length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, ReadUInt64LittleEndian(ref p, i));
        }

        for (; i < length; i++)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref p, i));
        }

        return crc;
    }

    // The CRC instructions consume the 64-bit operand least significant byte first, i.e. in
    // little-endian memory order; swap on big-endian hosts so the result is the same everywhere.
    private static ulong ReadUInt64LittleEndian(ref byte p, nuint offset)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }
}
