using System.Buffers.Binary;
using System.Numerics;

namespace TypedKafka.Protocol;

/// <summary>xxHash32, only for the LZ4 frame header checksum (a few bytes): written for clarity, not speed.</summary>
internal static class XxHash32
{
    private const uint Prime1 = 2654435761U;
    private const uint Prime2 = 2246822519U;
    private const uint Prime3 = 3266489917U;
    private const uint Prime4 = 668265263U;
    private const uint Prime5 = 374761393U;

    public static uint Hash(ReadOnlySpan<byte> data, uint seed = 0)
    {
        int length = data.Length;
        uint h;
        if (data.Length >= 16)
        {
            uint v1 = seed + Prime1 + Prime2, v2 = seed + Prime2, v3 = seed, v4 = seed - Prime1;
            while (data.Length >= 16)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt32LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4)));
                v3 = Round(v3, BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(8)));
                v4 = Round(v4, BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(12)));
                data = data.Slice(16);
            }

            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            h = seed + Prime5;
        }

        h += (uint)length;
        while (data.Length >= 4)
        {
            h = BitOperations.RotateLeft(h + (BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime3), 17) * Prime4;
            data = data.Slice(4);
        }

        foreach (byte b in data)
        {
            h = BitOperations.RotateLeft(h + (b * Prime5), 11) * Prime1;
        }

        h ^= h >> 15;
        h *= Prime2;
        h ^= h >> 13;
        h *= Prime3;
        h ^= h >> 16;
        return h;
    }

    private static uint Round(uint acc, uint input) => BitOperations.RotateLeft(acc + (input * Prime2), 13) * Prime1;
}
