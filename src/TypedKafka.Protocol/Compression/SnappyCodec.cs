using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace TypedKafka.Protocol;

/// <summary>
/// Snappy, either as one raw block (librdkafka's producers) or in the xerial framing that
/// snappy-java's <c>SnappyOutputStream</c> writes (Kafka's Java producer): the 8-byte magic
/// <c>82 'S' 'N' 'A' 'P' 'P' 'Y' 00</c>, a big-endian int32 version and compatible version, then blocks
/// each prefixed by its big-endian int32 length. There is no per-block checksum in that framing.
/// </summary>
internal static class SnappyCodec
{
    private const int XerialHeaderSize = 16;

    /// <summary>snappy-java's default block size.</summary>
    private const int XerialBlockSize = 32 * 1024;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    public static int Decompress(ReadOnlySpan<byte> source, ref byte[]? buffer, int max, long position)
    {
        if (!IsXerial(source))
        {
            int length = UncompressedLength(source, max, position);
            KafkaCompression.EnsureCapacity(ref buffer, 0, length);
            return DecompressBlock(source, buffer.AsSpan(0, length), position);
        }

        // First pass: every block states its uncompressed length, so the exact total is known
        // (and checked against the limit) before anything is allocated.
        long total = 0;
        for (int pos = XerialHeaderSize; pos < source.Length;)
        {
            ReadOnlySpan<byte> block = NextXerialBlock(source, ref pos, position);
            total += UncompressedLength(block, max, position);
            if (total > max) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Snappy, max, position);
        }

        KafkaCompression.EnsureCapacity(ref buffer, 0, (int)total);
        int written = 0;
        for (int pos = XerialHeaderSize; pos < source.Length;)
        {
            ReadOnlySpan<byte> block = NextXerialBlock(source, ref pos, position);
            int length = UncompressedLength(block, max, position);
            written += DecompressBlock(block, buffer.AsSpan(written, length), position);
        }

        return written;
    }

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        Span<byte> header = destination.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.Slice(8), 1); // version
        BinaryPrimitives.WriteInt32BigEndian(header.Slice(12), 1); // minimum compatible version
        destination.Advance(XerialHeaderSize);
        int total = XerialHeaderSize;

        while (!source.IsEmpty)
        {
            ReadOnlySpan<byte> chunk = source.Slice(0, Math.Min(source.Length, XerialBlockSize));
            Span<byte> target = destination.GetSpan(4 + Snappy.GetMaxCompressedLength(chunk.Length));
            int n = Snappy.Compress(chunk, target.Slice(4));
            BinaryPrimitives.WriteInt32BigEndian(target, n);
            destination.Advance(4 + n);
            total += 4 + n;
            source = source.Slice(chunk.Length);
        }

        return total;
    }

    /// <summary>Compresses as one raw snappy block, without framing (as librdkafka does).</summary>
    internal static byte[] CompressRaw(ReadOnlySpan<byte> source) => Snappy.CompressToArray(source);

    private static bool IsXerial(ReadOnlySpan<byte> source) =>
        source.Length >= XerialHeaderSize && source.StartsWith(XerialMagic);

    private static ReadOnlySpan<byte> NextXerialBlock(ReadOnlySpan<byte> source, ref int pos, long position)
    {
        if (source.Length - pos < 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Snappy, $"truncated xerial block length at byte {pos}", position);
        int length = BinaryPrimitives.ReadInt32BigEndian(source.Slice(pos));
        if (length < 0 || length > source.Length - pos - 4)
        {
            KafkaCompression.ThrowCorrupt(CompressionCodec.Snappy, $"xerial block length {length} at byte {pos} exceeds the data", position);
        }

        ReadOnlySpan<byte> block = source.Slice(pos + 4, length);
        pos += 4 + length;
        return block;
    }

    private static int UncompressedLength(ReadOnlySpan<byte> block, int max, long position)
    {
        int length = Snappy.GetUncompressedLength(block);
        if (length < 0) KafkaCompression.ThrowCorrupt(CompressionCodec.Snappy, "negative uncompressed length", position);
        if (length > max) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Snappy, max, position);
        return length;
    }

    private static int DecompressBlock(ReadOnlySpan<byte> block, Span<byte> target, long position)
    {
        if (!Snappy.TryDecompress(block, target, out int written) || written != target.Length)
        {
            KafkaCompression.ThrowCorrupt(CompressionCodec.Snappy, "block does not decompress to its stated length", position);
        }

        return written;
    }
}
