using System.Buffers.Binary;
using System.IO.Compression;
using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

/// <summary>Byte-level vectors built from the wire layout, independently of RecordBatchBuilder.</summary>
public class HandBuiltVectorTests
{
    /// <summary>A magic-2 batch at offset 100 with two records; the CRC was computed with a bitwise CRC-32C in Python.</summary>
    internal static byte[] MagicTwoBatch() => Convert.FromHexString(string.Concat(
        "0000000000000064", // baseOffset 100
        "0000004A",         // batchLength 74 (86 - 12)
        "00000005",         // partitionLeaderEpoch 5
        "02",               // magic
        "E74264C4",         // crc (CRC-32C of attributes..end)
        "0000",             // attributes: no compression, CreateTime, not transactional, not control
        "00000001",         // lastOffsetDelta 1
        "0000018BCFE56800", // baseTimestamp 1_700_000_000_000
        "0000018BCFE56805", // maxTimestamp 1_700_000_000_005
        "FFFFFFFFFFFFFFFF", // producerId -1
        "FFFF",             // producerEpoch -1
        "FFFFFFFF",         // baseSequence -1
        "00000002",         // record count 2
        // record 0: length 17, attributes, timestampDelta 0, offsetDelta 0, key "k0", value "hello", 1 header h=v
        "22", "00", "00", "00", "04", "6B30", "0A", "68656C6C6F", "02", "02", "68", "02", "76",
        // record 1: length 6, attributes, timestampDelta 5, offsetDelta 1, key null (-1), value empty, no headers
        "0C", "00", "0A", "02", "01", "00", "00"));

    [Fact]
    public void A_magic_2_batch_spelled_out_in_bytes_decodes()
    {
        byte[] data = MagicTwoBatch();
        Assert.Equal(0xE74264C4u, Crc32C.Compute(data.AsSpan(21)));

        var (batch, records) = Assert.Single(ReadAll(data, new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(100, batch.BaseOffset);
        Assert.Equal(74, batch.BatchLength);
        Assert.Equal(5, batch.PartitionLeaderEpoch);
        Assert.Equal(0xE74264C4u, batch.Crc);
        Assert.Equal(CompressionCodec.None, batch.Compression);
        Assert.Equal(101, batch.LastOffset);
        Assert.Equal(-1, batch.ProducerId);
        Assert.Equal(2, batch.RecordCount);
        Assert.False(batch.HasDeleteHorizonMs);

        Assert.Equal(
            [
                new ReadRecord(100, 1_700_000_000_000, TimestampType.CreateTime, Hex("k0"), Hex("hello"), $"h={Hex("v")};", ControlRecordType.None, 5, -1, false),
                new ReadRecord(101, 1_700_000_000_005, TimestampType.CreateTime, null, "", "", ControlRecordType.None, 5, -1, false),
            ],
            records);
    }

    [Fact]
    public void Two_batches_back_to_back_and_a_truncated_third_are_read_as_two()
    {
        byte[] first = MagicTwoBatch();
        byte[] second = MagicTwoBatch();
        BinaryPrimitives.WriteInt64BigEndian(second, 102); // offsets are outside the CRC
        byte[] data = Concat(first, second, MagicTwoBatch().AsSpan(0, 70).ToArray());

        using var reader = new RecordSetReader(data, new RecordReadOptions { CheckCrcs = true });
        Assert.True(reader.TryReadNextBatch(out var b1));
        Assert.True(reader.TryReadNextBatch(out var b2));
        Assert.False(reader.TryReadNextBatch(out _));
        Assert.True(reader.HasTruncatedTail);
        Assert.Equal(172, reader.Position);
        Assert.Equal((0, 100L), (b1.Position, b1.BaseOffset));
        Assert.Equal((86, 102L), (b2.Position, b2.BaseOffset));
        Assert.Equal([100L, 101, 102, 103], ReadRecords(data).Select(r => r.Offset));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(17)]
    [InlineData(60)]
    [InlineData(85)]
    public void A_batch_cut_anywhere_is_ignored(int length)
    {
        byte[] data = Concat(MagicTwoBatch(), MagicTwoBatch().AsSpan(0, length).ToArray());
        Assert.Equal(2, ReadRecords(data, new RecordReadOptions { CheckCrcs = true }).Count);
    }

    [Fact]
    public void Records_below_the_fetch_offset_are_skipped()
    {
        byte[] second = MagicTwoBatch();
        BinaryPrimitives.WriteInt64BigEndian(second, 102);
        byte[] data = Concat(MagicTwoBatch(), second);
        Assert.Equal([101L, 102, 103], ReadRecords(data, startOffset: 101).Select(r => r.Offset));
        Assert.Equal([103L], ReadRecords(data, startOffset: 103).Select(r => r.Offset));
        var batches = ReadAll(data, startOffset: 102);
        Assert.Equal(102, Assert.Single(batches).Batch.BaseOffset); // the first batch is not even returned
    }

    [Fact]
    public void A_CRC_mismatch_is_detected_only_when_checking()
    {
        byte[] data = MagicTwoBatch();
        data[70] ^= 0x20; // a byte of "hello": still well-formed, only the CRC notices

        Assert.Equal(2, ReadRecords(data).Count);
        var ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data, new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(17, ex.Position);
        Assert.Contains("CRC-32C", ex.Message);
        Assert.Equal(-1, ex.ApiKey);
    }

    [Fact]
    public void A_complete_but_malformed_batch_throws_with_the_position()
    {
        byte[] data = MagicTwoBatch();
        data[61] = 0x7E; // record 0 length 63: longer than the batch
        var ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data));
        Assert.Equal(61, ex.Position);

        data = MagicTwoBatch();
        data[60] = 3; // declares 3 records, holds 2
        ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data));
        Assert.Equal(86, ex.Position);

        data = MagicTwoBatch();
        data[16] = 3; // unknown magic
        ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data));
        Assert.Equal(16, ex.Position);
        Assert.Contains("magic 3", ex.Message);

        data = MagicTwoBatch();
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), 5); // size below any magic's minimum
        ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data));
        Assert.Equal(8, ex.Position);
    }

    [Fact]
    public void Magic_0_and_magic_1_messages_decode()
    {
        byte[] data = Concat(
            LegacyMessage(0, 5, 0, -1, Utf8("k"), Utf8("v0")),
            LegacyMessage(1, 6, 0, 1234, null, Utf8("v1")),
            LegacyMessage(1, 7, 0x08, 5678, Utf8("k"), null)); // LogAppendTime attribute

        var batches = ReadAll(data, new RecordReadOptions { CheckCrcs = true });
        Assert.Equal([0, 1, 1], batches.Select(b => (int)b.Batch.Magic));
        Assert.Equal(
            [
                new ReadRecord(5, -1, TimestampType.NotAvailable, Hex("k"), Hex("v0"), "", ControlRecordType.None, -1, -1, false),
                new ReadRecord(6, 1234, TimestampType.CreateTime, null, Hex("v1"), "", ControlRecordType.None, -1, -1, false),
                new ReadRecord(7, 5678, TimestampType.LogAppendTime, Hex("k"), null, "", ControlRecordType.None, -1, -1, false),
            ],
            batches.SelectMany(b => b.Records));
    }

    [Fact]
    public void A_magic_1_gzip_wrapper_with_relative_offsets_decodes_to_absolute_offsets()
    {
        // Inner offsets 0, 1, 2 relative; the wrapper carries 42, the absolute offset of the last one (KIP-31).
        byte[] inner = Concat(
            LegacyMessage(1, 0, 0, 100, Utf8("a"), Utf8("1")),
            LegacyMessage(1, 1, 0, 101, Utf8("b"), Utf8("2")),
            LegacyMessage(1, 2, 0, 102, Utf8("c"), Utf8("3")));
        byte[] wrapper = LegacyMessage(1, 42, (byte)CompressionCodec.Gzip, 102, null, Gzip(inner));
        byte[] data = Concat(LegacyMessage(1, 39, 0, 99, null, Utf8("plain")), wrapper);

        var batches = ReadAll(data, new RecordReadOptions { CheckCrcs = true });
        Assert.Equal(2, batches.Count);
        var (batch, records) = batches[1];
        Assert.Equal(40, batch.BaseOffset);
        Assert.Equal(42, batch.LastOffset);
        Assert.Equal(3, batch.RecordCount);
        Assert.Equal(CompressionCodec.Gzip, batch.Compression);
        Assert.Equal([40L, 41, 42], records.Select(r => r.Offset));
        Assert.Equal([100L, 101, 102], records.Select(r => r.Timestamp));
        Assert.Equal([Hex("1"), Hex("2"), Hex("3")], records.Select(r => r.Value));

        Assert.Equal([41L, 42], ReadRecords(data, startOffset: 41).Select(r => r.Offset));
    }

    [Fact]
    public void A_magic_1_wrapper_with_LogAppendTime_stamps_inner_records_with_its_timestamp()
    {
        byte[] inner = Concat(LegacyMessage(1, 0, 0, 100, null, Utf8("1")), LegacyMessage(1, 1, 0, 101, null, Utf8("2")));
        byte[] data = LegacyMessage(1, 9, (byte)((int)CompressionCodec.Gzip | 0x08), 7777, null, Gzip(inner));
        Assert.All(ReadRecords(data), r => Assert.Equal((7777L, TimestampType.LogAppendTime), (r.Timestamp, r.TimestampType)));
    }

    [Fact]
    public void A_magic_0_gzip_wrapper_keeps_absolute_inner_offsets()
    {
        byte[] inner = Concat(LegacyMessage(0, 70, 0, -1, null, Utf8("x")), LegacyMessage(0, 71, 0, -1, null, Utf8("y")));
        byte[] data = LegacyMessage(0, 71, (byte)CompressionCodec.Gzip, -1, null, Gzip(inner));
        Assert.Equal([70L, 71], ReadRecords(data, new RecordReadOptions { CheckCrcs = true }).Select(r => r.Offset));
    }

    [Fact]
    public void A_magic_0_lz4_wrapper_with_the_KAFKA_3160_header_checksum_decodes_with_CRC_checks()
    {
        byte[] inner = Concat(LegacyMessage(0, 0, 0, -1, null, Utf8("lz4 one")), LegacyMessage(0, 1, 0, -1, null, Utf8("lz4 two")));
        var block = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(inner.Length)];
        int blockLength = K4os.Compression.LZ4.LZ4Codec.Encode(inner, block);
        byte[] frameHeader = [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x00];
        frameHeader[6] = (byte)(XxHash32.Hash(frameHeader.AsSpan(0, 6)) >> 8); // over the magic too: KAFKA-3160
        byte[] frame = Concat(frameHeader, LittleEndian(blockLength), block.AsSpan(0, blockLength).ToArray(), [0, 0, 0, 0]);

        byte[] magic0 = LegacyMessage(0, 1, (byte)CompressionCodec.Lz4, -1, null, frame);
        Assert.Equal([Hex("lz4 one"), Hex("lz4 two")], ReadRecords(magic0, new RecordReadOptions { CheckCrcs = true }).Select(r => r.Value));

        // Magic 1 must carry the correct checksum (KIP-57).
        byte[] magic1Inner = Concat(LegacyMessage(1, 0, 0, 5, null, Utf8("x")));
        block = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(magic1Inner.Length)];
        blockLength = K4os.Compression.LZ4.LZ4Codec.Encode(magic1Inner, block);
        frame = Concat(frameHeader, LittleEndian(blockLength), block.AsSpan(0, blockLength).ToArray(), [0, 0, 0, 0]);
        byte[] magic1 = LegacyMessage(1, 0, (byte)CompressionCodec.Lz4, 5, null, frame);
        Assert.Single(ReadRecords(magic1));
        Assert.Throws<KafkaProtocolException>(() => ReadRecords(magic1, new RecordReadOptions { CheckCrcs = true }));
    }

    [Fact]
    public void A_legacy_CRC_mismatch_is_detected_only_when_checking()
    {
        byte[] data = LegacyMessage(1, 6, 0, 1234, null, Utf8("value"));
        data[^1] ^= 0xFF;
        Assert.Single(ReadRecords(data));
        var ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data, new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(12, ex.Position);
        Assert.Contains("CRC-32", ex.Message);
    }

    [Fact]
    public void Mixed_magic_in_one_blob_is_read_in_order()
    {
        byte[] v2 = MagicTwoBatch(); // offsets 100, 101
        byte[] data = Concat(LegacyMessage(0, 98, 0, -1, null, Utf8("a")), LegacyMessage(1, 99, 0, 1, null, Utf8("b")), v2);
        Assert.Equal([98L, 99, 100, 101], ReadRecords(data, new RecordReadOptions { CheckCrcs = true }).Select(r => r.Offset));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}
