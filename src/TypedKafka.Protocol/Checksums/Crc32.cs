using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>
/// CRC-32 (IEEE 802.3, the zlib / Java <c>java.util.zip.CRC32</c> checksum), used by the legacy
/// message format (magic 0 and 1) where it covers every byte from the magic to the end of the message.
/// </summary>
/// <remarks>
/// A slicing-by-8 table implementation: legacy messages only appear in old topics, so this is not a
/// hot path and does not justify another package dependency.
/// </remarks>
public static class Crc32
{
    private const uint Polynomial = 0xEDB88320; // reflected 0x04C11DB7

    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>Continues a CRC-32 computed with <see cref="Compute"/> over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = Table;
        while (data.Length >= 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4));
            crc = t[(7 * 256) + (int)(lo & 0xFF)]
                ^ t[(6 * 256) + (int)((lo >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((lo >> 16) & 0xFF)]
                ^ t[(4 * 256) + (int)(lo >> 24)]
                ^ t[(3 * 256) + (int)(hi & 0xFF)]
                ^ t[(2 * 256) + (int)((hi >> 8) & 0xFF)]
                ^ t[256 + (int)((hi >> 16) & 0xFF)]
                ^ t[(int)(hi >> 24)];
            data = data.Slice(8);
        }

        foreach (byte b in data)
        {
            crc = t[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        for (int slice = 1; slice < 8; slice++)
        {
            for (int i = 0; i < 256; i++)
            {
                uint prev = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (prev >> 8) ^ table[(int)(prev & 0xFF)];
            }
        }

        return table;
    }
}
