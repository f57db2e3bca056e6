using System.Buffers;
using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>A legacy message to write: <see cref="Offset"/> is absolute.</summary>
internal readonly record struct LegacyMessageData(long Offset, long Timestamp, byte[]? Key, byte[]? Value);

/// <summary>
/// Writes legacy message sets (magic 0/1), for tests: plain messages and compressed wrappers with
/// the inner offsets each magic uses. Layout in <see cref="RecordSetReader"/>'s legacy part.
/// </summary>
internal static class LegacyMessageSetWriter
{
    public static void WriteMessage(IBufferWriter<byte> output, byte magic, LegacyMessageData message, byte attributes = 0)
    {
        int size = 4 + 1 + 1 + (magic == 1 ? 8 : 0) + 4 + (message.Key?.Length ?? 0) + 4 + (message.Value?.Length ?? 0);
        Span<byte> m = output.GetSpan(12 + size).Slice(0, 12 + size);
        BinaryPrimitives.WriteInt64BigEndian(m, message.Offset);
        BinaryPrimitives.WriteInt32BigEndian(m.Slice(8), size);
        m[16] = magic;
        m[17] = attributes;
        int p = 18;
        if (magic == 1)
        {
            BinaryPrimitives.WriteInt64BigEndian(m.Slice(p), message.Timestamp);
            p += 8;
        }

        p = WriteBytes(m, p, message.Key);
        WriteBytes(m, p, message.Value);
        BinaryPrimitives.WriteUInt32BigEndian(m.Slice(12), Crc32.Compute(m.Slice(16)));
        output.Advance(12 + size);
    }

    /// <summary>
    /// Writes a compressed wrapper around <paramref name="messages"/>: magic 1 stores inner offsets relative
    /// (0..n-1) and gives the wrapper the last absolute offset; magic 0 stores them absolute.
    /// <paramref name="kafka3160Lz4"/> writes the lz4 header checksum as Kafka 0.8/0.9 did (over the magic too).
    /// </summary>
    public static void WriteCompressed(IBufferWriter<byte> output, byte magic, CompressionCodec codec, IReadOnlyList<LegacyMessageData> messages,
        long wrapperTimestamp = -1, bool logAppendTime = false, bool kafka3160Lz4 = false)
    {
        var inner = new ArrayBufferWriter<byte>();
        long first = messages[0].Offset;
        foreach (LegacyMessageData message in messages)
        {
            WriteMessage(inner, magic, magic == 1 ? message with { Offset = message.Offset - first } : message);
        }

        var compressed = new ArrayBufferWriter<byte>();
        KafkaCompression.Compress(codec, inner.WrittenSpan, compressed, kafka3160Lz4);
        byte attributes = (byte)((int)codec | (logAppendTime ? RecordBatchInfo.AttributeTimestampType : 0));
        WriteMessage(output, magic, new LegacyMessageData(messages[^1].Offset, wrapperTimestamp, null, compressed.WrittenSpan.ToArray()), attributes);
    }

    private static int WriteBytes(Span<byte> m, int p, byte[]? bytes)
    {
        BinaryPrimitives.WriteInt32BigEndian(m.Slice(p), bytes?.Length ?? -1);
        p += 4;
        if (bytes is not null)
        {
            bytes.CopyTo(m.Slice(p));
            p += bytes.Length;
        }

        return p;
    }
}
