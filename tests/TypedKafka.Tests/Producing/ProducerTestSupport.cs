using System.Buffers.Binary;

namespace TypedKafka.Tests.Producing;

/// <summary>Payloads that carry their own sequence number, so a read-back can tell duplicates and reordering apart.</summary>
internal static class Payload
{
    /// <summary>8 bytes: the record's sequence number, big-endian; then <paramref name="padding"/> bytes derived from it.</summary>
    public static byte[] Make(long sequence, int padding = 12)
    {
        var bytes = new byte[8 + padding];
        BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
        for (var i = 0; i < padding; i++) bytes[8 + i] = (byte)(sequence * 31 + i);
        return bytes;
    }

    public static long Sequence(byte[] value) => BinaryPrimitives.ReadInt64BigEndian(value);

    public static byte[] Key(long sequence, int keys) => BitConverter.GetBytes(sequence % keys);

    /// <summary>Asserts that every sequence in [0, count) was read exactly once and that, within each partition, they
    /// appear in the order they were produced (ascending, since each test produces them in ascending order).</summary>
    public static void AssertExactlyOnceInOrder(IReadOnlyList<ReadRecord> read, long count)
    {
        var seen = new bool[count];
        foreach (var partition in read.GroupBy(r => r.Partition))
        {
            var last = -1L;
            foreach (var record in partition.OrderBy(r => r.Offset))
            {
                var sequence = Sequence(record.Value!);
                Assert.True(sequence >= 0 && sequence < count, $"unexpected sequence {sequence}");
                Assert.False(seen[sequence], $"sequence {sequence} was written twice (partition {partition.Key}, offset {record.Offset})");
                Assert.True(sequence > last, $"partition {partition.Key}: sequence {sequence} at offset {record.Offset} comes after {last}");
                seen[sequence] = true;
                last = sequence;
            }
        }
        var missing = Enumerable.Range(0, (int)count).Where(i => !seen[i]).Take(10).ToList();
        Assert.True(missing.Count == 0, $"missing sequences, e.g. {string.Join(", ", missing)}");
    }
}
