using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using K4os.Compression.LZ4;
using Snappier;

namespace TypedKafka.Protocol.Tests.Compression;

public class CompressionTests
{
    public static TheoryData<CompressionCodec, int> CodecsAndSizes()
    {
        var data = new TheoryData<CompressionCodec, int>();
        foreach (CompressionCodec codec in Enum.GetValues<CompressionCodec>())
        {
            foreach (int size in new[] { 0, 1, 100, 70_000, 300_000 }) data.Add(codec, size);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CodecsAndSizes))]
    public void Round_trips(CompressionCodec codec, int size)
    {
        byte[] original = SampleData(size, seed: size);
        var compressed = new ArrayBufferWriter<byte>();
        KafkaCompression.Compress(codec, original, compressed);

        byte[]? buffer = null;
        int n = KafkaCompression.Decompress(codec, compressed.WrittenSpan, ref buffer);
        Assert.Equal(original, buffer.AsSpan(0, n).ToArray());
        ArrayPool<byte>.Shared.Return(buffer!);
    }

    [Fact]
    public void Snappy_decodes_xerial_framing_built_by_hand()
    {
        byte[] part1 = SampleData(40_000, 1);
        byte[] part2 = SampleData(123, 2);
        byte[] block1 = Snappy.CompressToArray(part1);
        byte[] block2 = Snappy.CompressToArray(part2);

        var frame = new List<byte> { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0x00 };
        frame.AddRange(new byte[] { 0, 0, 0, 1 }); // version
        frame.AddRange(new byte[] { 0, 0, 0, 1 }); // minimum compatible version
        foreach (byte[] block in new[] { block1, block2 })
        {
            frame.AddRange(BigEndian(block.Length));
            frame.AddRange(block);
        }

        Assert.Equal([.. part1, .. part2], Decompress(CompressionCodec.Snappy, [.. frame]));
    }

    [Fact]
    public void Snappy_decodes_a_raw_block_as_librdkafka_writes_it()
    {
        byte[] original = SampleData(5000, 3);
        Assert.Equal(original, Decompress(CompressionCodec.Snappy, Snappy.CompressToArray(original)));
    }

    // Produced by the reference lz4 CLI (`lz4 --no-frame-crc -BD` and `lz4`): linked blocks, and a content checksum.
    private static readonly byte[] Lz4CliLinked = Convert.FromHexString(
        "04224D1860408222000000" + "6E68656C6C6F200600F9006B61666B61206C7A34206672616D6522005068656C6C6F00000000");

    private static readonly byte[] Lz4CliWithContentChecksum = Convert.FromHexString(
        "04224D186440A722000000" + "6E68656C6C6F200600F9006B61666B61206C7A34206672616D6522005068656C6C6F000000004289FF2F");

    private const string Lz4CliText = "hello hello hello hello kafka lz4 frame hello hello hello";

    [Fact]
    public void Lz4_decodes_frames_from_the_reference_implementation()
    {
        Assert.Equal(Lz4CliText, Encoding.ASCII.GetString(Decompress(CompressionCodec.Lz4, Lz4CliLinked, Lz4HeaderChecksum.Verify)));
        Assert.Equal(Lz4CliText, Encoding.ASCII.GetString(Decompress(CompressionCodec.Lz4, Lz4CliWithContentChecksum, Lz4HeaderChecksum.Verify)));
    }

    [Fact]
    public void Lz4_header_checksum_of_kafka_3160_is_accepted_only_when_allowed()
    {
        // Frame by hand: magic, FLG (version 01, independent blocks), BD (64 KiB), HC, one block, end mark.
        byte[] text = SampleData(1000, 9);
        var block = new byte[LZ4Codec.MaximumOutputSize(text.Length)];
        int blockLength = LZ4Codec.Encode(text, block);
        byte[] header = [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x00];
        header[6] = (byte)(XxHash32.Hash(header.AsSpan(0, 6)) >> 8); // KAFKA-3160: hashed over the magic too
        byte[] frame = [.. header, .. LittleEndian(blockLength), .. block.AsSpan(0, blockLength), 0, 0, 0, 0];

        Assert.Equal(text, Decompress(CompressionCodec.Lz4, frame, Lz4HeaderChecksum.VerifyAllowKafka3160));
        Assert.Equal(text, Decompress(CompressionCodec.Lz4, frame, Lz4HeaderChecksum.Ignore));
        var ex = Assert.Throws<KafkaProtocolException>(() => Decompress(CompressionCodec.Lz4, frame, Lz4HeaderChecksum.Verify));
        Assert.Contains("header checksum", ex.Message);
    }

    [Fact]
    public void XxHash32_matches_known_values()
    {
        Assert.Equal(0x02CC5D05u, XxHash32.Hash([]));
        Assert.Equal(0x82u, (XxHash32.Hash([0x60, 0x40]) >> 8) & 0xFF); // the HC byte the lz4 CLI wrote above
    }

    // From the zstd CLI, of the same text: `zstd` on a file (content size in the header), and `cat file | zstd -c`
    // (no content size, as streaming producers such as Java's zstd-jni write).
    [Fact]
    public void Zstd_decodes_a_frame_without_content_size()
    {
        byte[] text = Encoding.ASCII.GetBytes(Lz4CliText);
        byte[] withSize = Convert.FromHexString("28B52FFD2439F50000A868656C6C6F206B61666B61206C7A34206672616D6502004579355E8103FCC260C8");
        byte[] withoutSize = Convert.FromHexString("28B52FFD0458F50000A868656C6C6F206B61666B61206C7A34206672616D6502004579355E8103FCC260C8");
        Assert.Equal(text, Decompress(CompressionCodec.Zstd, withSize));
        Assert.Equal(text, Decompress(CompressionCodec.Zstd, withoutSize));
    }

    [Fact]
    public void Concatenated_zstd_frames_and_gzip_members_decode_as_one()
    {
        byte[] a = SampleData(3000, 1), b = SampleData(5000, 2);
        foreach (CompressionCodec codec in new[] { CompressionCodec.Zstd, CompressionCodec.Gzip })
        {
            var both = new ArrayBufferWriter<byte>();
            KafkaCompression.Compress(codec, a, both);
            KafkaCompression.Compress(codec, b, both);
            Assert.Equal([.. a, .. b], Decompress(codec, both.WrittenSpan.ToArray()));
        }
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip)]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4)]
    [InlineData(CompressionCodec.Snappy)]
    public void A_compression_bomb_is_rejected_with_the_limit_in_the_message(CompressionCodec codec)
    {
        var zeros = new byte[16 * 1024 * 1024];
        var compressed = new ArrayBufferWriter<byte>();
        KafkaCompression.Compress(codec, zeros, compressed);
        Assert.True(compressed.WrittenCount < 1024 * 1024);
        const int limit = 1024 * 1024;

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[]? buffer = null;
        byte[] input = compressed.WrittenSpan.ToArray();
        var ex = Assert.Throws<KafkaProtocolException>(() => KafkaCompression.Decompress(codec, input, ref buffer, limit, position: 77));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Contains(codec.ToString(), ex.Message);
        Assert.Equal(77, ex.Position);
        Assert.True(allocated < (4L * limit) + (2L * input.Length), $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip)]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4)]
    [InlineData(CompressionCodec.Snappy)]
    public void Output_of_exactly_the_limit_is_accepted(CompressionCodec codec)
    {
        byte[] original = SampleData(200_000, 5);
        var compressed = new ArrayBufferWriter<byte>();
        KafkaCompression.Compress(codec, original, compressed);
        byte[]? buffer = null;
        Assert.Equal(original.Length, KafkaCompression.Decompress(codec, compressed.WrittenSpan, ref buffer, original.Length));
        Assert.Throws<KafkaProtocolException>(() => KafkaCompression.Decompress(codec, compressed.WrittenSpan.ToArray(), ref buffer, original.Length - 1));
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip)]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4)]
    [InlineData(CompressionCodec.Snappy)]
    public void Garbage_is_a_protocol_exception(CompressionCodec codec)
    {
        var random = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            if (codec == CompressionCodec.Snappy && i % 2 == 0 && garbage.Length >= 16)
            {
                new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0 }.CopyTo(garbage, 0);
            }

            byte[]? buffer = null;
            try
            {
                KafkaCompression.Decompress(codec, garbage, ref buffer, 1 << 20);
            }
            catch (KafkaProtocolException)
            {
            }
        }
    }

    private static byte[] Decompress(CompressionCodec codec, byte[] input, Lz4HeaderChecksum lz4 = Lz4HeaderChecksum.Ignore)
    {
        byte[]? buffer = null;
        int n = KafkaCompression.Decompress(codec, input, ref buffer, KafkaCompression.DefaultMaxDecompressedBytes, -1, lz4);
        byte[] result = buffer.AsSpan(0, n).ToArray();
        ArrayPool<byte>.Shared.Return(buffer!);
        return result;
    }

    /// <summary>JSON-ish text with some randomness: compressible, but not trivially.</summary>
    internal static byte[] SampleData(int size, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(size + 100);
        while (builder.Length < size)
        {
            builder.Append("{\"id\":").Append(random.Next(100000)).Append(",\"sku\":\"ABC-").Append(random.Next(99999)).Append("\",\"qty\":")
                .Append(random.Next(10)).Append('}');
        }

        return Encoding.ASCII.GetBytes(builder.ToString(0, size));
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}
