using System.Buffers;
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace TypedKafka.Protocol;

/// <summary>
/// The LZ4 frame format (magic 0x184D2204), decoded here block by block on top of K4os's block
/// codec so that output goes straight into the pooled buffer, the size limit is enforced per block,
/// and the header checksum can be judged the way Kafka needs (KAFKA-3160, KIP-57).
/// </summary>
internal static class Lz4FrameCodec
{
    private const uint FrameMagic = 0x184D2204;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;

    /// <summary>The largest decompressed size one byte of LZ4 block input can produce (long match runs).</summary>
    private const int MaxExpansionPerByte = 255;

    /// <summary>The window over which LZ4 matches reach back: the dictionary for linked blocks.</summary>
    private const int WindowSize = 64 * 1024;

    public static int Decompress(ReadOnlySpan<byte> source, ref byte[]? buffer, int max, long position, Lz4HeaderChecksum headerChecksum)
    {
        int written = 0;
        int pos = 0;
        do
        {
            if (source.Length - pos < 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated frame magic", position);
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(pos));
            if ((magic & SkippableMagicMask) == SkippableMagic)
            {
                pos += 4;
                int skip = ReadLength(source, ref pos, position);
                pos += skip;
                continue;
            }

            if (magic != FrameMagic) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, $"bad frame magic 0x{magic:X8}", position);
            pos = DecompressFrame(source, pos, ref buffer, ref written, max, position, headerChecksum);
        }
        while (pos < source.Length);

        return written;
    }

    private static int DecompressFrame(ReadOnlySpan<byte> source, int frameStart, ref byte[]? buffer, ref int written, int max, long position, Lz4HeaderChecksum headerChecksum)
    {
        int pos = frameStart + 4;
        if (source.Length - pos < 3) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated frame descriptor", position);
        byte flg = source[pos];
        byte bd = source[pos + 1];
        if (flg >> 6 != 1) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, $"unsupported frame version {flg >> 6}", position);
        bool independentBlocks = (flg & 0x20) != 0;
        bool blockChecksums = (flg & 0x10) != 0;
        bool hasContentSize = (flg & 0x08) != 0;
        bool contentChecksum = (flg & 0x04) != 0;
        bool hasDictionaryId = (flg & 0x01) != 0;
        int blockSizeId = (bd >> 4) & 0x7;
        if (blockSizeId < 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, $"invalid block maximum size id {blockSizeId}", position);
        int blockMaxSize = 1 << (8 + (2 * blockSizeId)); // 4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB

        int descriptorLength = 2 + (hasContentSize ? 8 : 0) + (hasDictionaryId ? 4 : 0);
        if (source.Length - pos < descriptorLength + 1) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated frame descriptor", position);
        if (hasContentSize)
        {
            ulong contentSize = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(pos + 2));
            if (contentSize > (ulong)(max - written)) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Lz4, max, position);
        }

        if (hasDictionaryId) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "frames with a dictionary id are not used by Kafka", position);

        byte hc = source[pos + descriptorLength];
        if (headerChecksum != Lz4HeaderChecksum.Ignore)
        {
            bool valid = hc == HeaderChecksum(source.Slice(pos, descriptorLength));
            if (!valid && headerChecksum == Lz4HeaderChecksum.VerifyAllowKafka3160)
            {
                // KAFKA-3160: Kafka 0.8/0.9 hashed from the start of the frame, magic included.
                valid = hc == HeaderChecksum(source.Slice(frameStart, 4 + descriptorLength));
            }

            if (!valid) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "frame header checksum mismatch", position);
        }

        pos += descriptorLength + 1;
        while (true)
        {
            int header = ReadLength(source, ref pos, position, allowHighBit: true);
            if (header == 0) break; // end mark
            bool stored = (header & int.MinValue) != 0;
            int size = header & int.MaxValue;
            if (size > blockMaxSize) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, $"block of {size} bytes exceeds the frame's maximum {blockMaxSize}", position);
            if (source.Length - pos < size + (blockChecksums ? 4 : 0)) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated block", position);
            ReadOnlySpan<byte> block = source.Slice(pos, size);
            pos += size + (blockChecksums ? 4 : 0); // block checksums are covered by the batch CRC

            if (stored)
            {
                if (size > max - written) KafkaCompression.ThrowLimitExceeded(CompressionCodec.Lz4, max, position);
                KafkaCompression.EnsureCapacity(ref buffer, written, written + size);
                block.CopyTo(buffer.AsSpan(written));
                written += size;
                continue;
            }

            int room = (int)Math.Min(Math.Min(blockMaxSize, max - written), ((long)size * MaxExpansionPerByte) + 16);
            if (buffer is null || buffer.Length - written < room)
            {
                KafkaCompression.EnsureCapacity(ref buffer, written, (int)Math.Min(max, Math.Max((long)written + room, (long)written * 2)));
            }

            int n = DecodeBlock(block, buffer, written, room, independentBlocks);
            if (n < 0)
            {
                // Did the block fail because it decodes past the limit? If it fills all the room left under
                // the limit, yes (or it is corrupt beyond that point; either way it is rejected).
                if (room < blockMaxSize && room == max - written && (room == 0 || LZ4Codec.PartialDecode(block, buffer.AsSpan(written, room)) == room))
                {
                    KafkaCompression.ThrowLimitExceeded(CompressionCodec.Lz4, max, position);
                }

                KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "block does not decode", position);
            }

            written += n;
        }

        if (contentChecksum)
        {
            if (source.Length - pos < 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated content checksum", position);
            pos += 4;
        }

        return pos;
    }

    private static int DecodeBlock(ReadOnlySpan<byte> block, byte[] buffer, int written, int room, bool independent)
    {
        Span<byte> target = buffer.AsSpan(written, room);
        if (independent || written == 0) return LZ4Codec.Decode(block, target);

        // Linked blocks (LZ4F's default, e.g. some non-Java producers) may copy from the previous 64 KiB of output.
        int dictionaryStart = Math.Max(0, written - WindowSize);
        return LZ4Codec.Decode(block, target, buffer.AsSpan(dictionaryStart, written - dictionaryStart));
    }

    private static int ReadLength(ReadOnlySpan<byte> source, ref int pos, long position, bool allowHighBit = false)
    {
        if (source.Length - pos < 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "truncated block header", position);
        int value = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(pos));
        if (value < 0 && !allowHighBit) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "negative length", position);
        if (!allowHighBit && value > source.Length - pos - 4) KafkaCompression.ThrowCorrupt(CompressionCodec.Lz4, "skippable frame exceeds the data", position);
        pos += 4;
        return value;
    }

    private static byte HeaderChecksum(ReadOnlySpan<byte> descriptor) => (byte)(XxHash32.Hash(descriptor) >> 8);

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, bool kafka3160HeaderChecksum)
    {
        // What Kafka's Java producer writes: version 01, independent blocks, 64 KiB blocks, no
        // block or content checksums (the batch CRC covers the data).
        const int blockSize = 64 * 1024;
        Span<byte> header = destination.GetSpan(7);
        BinaryPrimitives.WriteUInt32LittleEndian(header, FrameMagic);
        header[4] = 0x60;
        header[5] = 4 << 4;
        header[6] = kafka3160HeaderChecksum ? HeaderChecksum(header.Slice(0, 6)) : HeaderChecksum(header.Slice(4, 2));
        destination.Advance(7);
        int total = 7;

        while (!source.IsEmpty)
        {
            ReadOnlySpan<byte> chunk = source.Slice(0, Math.Min(blockSize, source.Length));
            Span<byte> target = destination.GetSpan(4 + LZ4Codec.MaximumOutputSize(chunk.Length));
            int n = LZ4Codec.Encode(chunk, target.Slice(4, chunk.Length - 1 > 0 ? chunk.Length - 1 : 0));
            if (n <= 0)
            {
                // Incompressible: stored as-is, flagged by the length's high bit.
                chunk.CopyTo(target.Slice(4));
                BinaryPrimitives.WriteInt32LittleEndian(target, chunk.Length | int.MinValue);
                n = chunk.Length;
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(target, n);
            }

            destination.Advance(4 + n);
            total += 4 + n;
            source = source.Slice(chunk.Length);
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination.GetSpan(4), 0); // end mark
        destination.Advance(4);
        return total + 4;
    }
}
