namespace TypedKafka.Producing;

/// <summary>
/// Java's default partitioner for keyed records: <c>toPositive(murmur2(keyBytes)) % partitions</c>, the same choice
/// as Confluent's <c>murmur2_random</c>, so records keyed alike land in the same partition whichever client wrote them.
/// Null keys are spread by the accumulator's sticky choice (KIP-480), not here.
/// </summary>
internal static class DefaultPartitioner
{
    /// <summary>The partition for a record whose serialized key is <paramref name="key"/>.</summary>
    public static int Partition(ReadOnlySpan<byte> key, int partitions) => (Murmur2(key) & 0x7fffffff) % partitions;

    /// <summary>MurmurHash2 (32-bit) with the seed and constants Kafka's clients use (seed 0x9747b28c, m 0x5bd1e995, r 24);
    /// blocks are read little-endian.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28cu ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        var tail = blocks * 4;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
