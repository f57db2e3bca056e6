using System.Buffers;
using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

public class RecordBatchRoundTripTests
{
    public static TheoryData<CompressionCodec> Codecs() => new(Enum.GetValues<CompressionCodec>());

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Records_with_headers_and_nulls_decode_to_what_was_written(CompressionCodec codec)
    {
        var builder = new RecordBatchBuilder
        {
            BaseOffset = 1000,
            Compression = codec,
            PartitionLeaderEpoch = 7,
            ProducerId = 4242,
            ProducerEpoch = 3,
            BaseSequence = 17,
        };
        builder.Append(1_700_000_000_000, Utf8("key-0"), Utf8("{\"id\":0}"), new RecordHeaderData("trace", Utf8("abc")), new RecordHeaderData("empty", []));
        builder.Append(1_700_000_000_005, null, Utf8("no key"));
        builder.Append(1_699_999_999_990, Utf8("tombstone"), null, new RecordHeaderData("null-value", null), new RecordHeaderData("ünïcode", Utf8("v")));
        builder.Append(1_700_000_000_100, [], []);
        byte[] data = builder.ToArray();

        var batches = ReadAll(data, new RecordReadOptions { CheckCrcs = true });
        var (batch, records) = Assert.Single(batches);
        Assert.Equal(1000, batch.BaseOffset);
        Assert.Equal(3, batch.LastOffsetDelta);
        Assert.Equal(1003, batch.LastOffset);
        Assert.Equal(codec, batch.Compression);
        Assert.Equal(2, batch.Magic);
        Assert.Equal(7, batch.PartitionLeaderEpoch);
        Assert.Equal(4242, batch.ProducerId);
        Assert.Equal(3, batch.ProducerEpoch);
        Assert.Equal(17, batch.BaseSequence);
        Assert.Equal(4, batch.RecordCount);
        Assert.Equal(1_700_000_000_000, batch.BaseTimestamp);
        Assert.Equal(1_700_000_000_100, batch.MaxTimestamp);
        Assert.Equal(data.Length, batch.SizeInBytes);
        Assert.False(batch.IsTransactional);
        Assert.False(batch.IsControl);

        ReadRecord[] expected =
        [
            new(1000, 1_700_000_000_000, TimestampType.CreateTime, Hex("key-0"), Hex("{\"id\":0}"), $"trace={Hex("abc")};empty=;", ControlRecordType.None, 7, 4242, false),
            new(1001, 1_700_000_000_005, TimestampType.CreateTime, null, Hex("no key"), "", ControlRecordType.None, 7, 4242, false),
            new(1002, 1_699_999_999_990, TimestampType.CreateTime, Hex("tombstone"), null, $"null-value=null;ünïcode={Hex("v")};", ControlRecordType.None, 7, 4242, false),
            new(1003, 1_700_000_000_100, TimestampType.CreateTime, "", "", "", ControlRecordType.None, 7, 4242, false),
        ];
        Assert.Equal(expected, records);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void LogAppendTime_gives_every_record_the_max_timestamp(CompressionCodec codec)
    {
        byte[] data = Batch(b =>
        {
            b.Append(100, Utf8("a"), Utf8("1"));
            b.Append(200, Utf8("b"), Utf8("2"));
        }, new RecordBatchBuilder { Compression = codec, TimestampType = TimestampType.LogAppendTime, LogAppendTime = 999_999 });

        var (batch, records) = Assert.Single(ReadAll(data, new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(TimestampType.LogAppendTime, batch.TimestampType);
        Assert.All(records, r => Assert.Equal(999_999, r.Timestamp));
        Assert.All(records, r => Assert.Equal(TimestampType.LogAppendTime, r.TimestampType));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Transactional_batches_and_their_markers_decode(CompressionCodec codec)
    {
        var output = new ArrayBufferWriter<byte>();
        new RecordBatchBuilder { BaseOffset = 10, Compression = codec, IsTransactional = true, ProducerId = 77, ProducerEpoch = 2, BaseSequence = 0 }
            .Also(b => b.Append(1, Utf8("k"), Utf8("aborted")))
            .WriteTo(output);
        RecordBatchBuilder.WriteEndTransactionMarker(output, 11, 77, 2, ControlRecordType.Abort, coordinatorEpoch: 5, timestamp: 2);
        new RecordBatchBuilder { BaseOffset = 12, Compression = codec, IsTransactional = true, ProducerId = 77, ProducerEpoch = 3 }
            .Also(b => b.Append(3, Utf8("k"), Utf8("committed")))
            .WriteTo(output);
        RecordBatchBuilder.WriteEndTransactionMarker(output, 13, 77, 3, ControlRecordType.Commit, coordinatorEpoch: 5, timestamp: 4);

        var batches = ReadAll(output.WrittenSpan.ToArray(), new RecordReadOptions { CheckCrcs = true });
        Assert.Equal(4, batches.Count);
        Assert.All(batches, b => Assert.True(b.Batch.IsTransactional));
        Assert.All(batches, b => Assert.Equal(77, b.Batch.ProducerId));
        Assert.Equal([false, true, false, true], batches.Select(b => b.Batch.IsControl));
        Assert.Equal(ControlRecordType.Abort, Assert.Single(batches[1].Records).ControlType);
        Assert.Equal(ControlRecordType.Commit, Assert.Single(batches[3].Records).ControlType);
        Assert.Equal(ControlRecordType.None, Assert.Single(batches[0].Records).ControlType);
        Assert.Equal("000000000005", Assert.Single(batches[1].Records).Value); // version 0, coordinator epoch 5
        Assert.Equal([10L, 11, 12, 13], batches.Select(b => b.Records.Single().Offset));
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip)]
    [InlineData(CompressionCodec.Snappy)]
    [InlineData(CompressionCodec.Lz4)]
    [InlineData(CompressionCodec.Zstd)]
    public void A_batch_decompressing_past_the_limit_is_rejected(CompressionCodec codec)
    {
        byte[] bomb = Batch(b => b.Append(1, null, new byte[8 * 1024 * 1024]), new RecordBatchBuilder { Compression = codec });
        byte[] data = Concat(HandBuiltVectorTests.MagicTwoBatch(), bomb);
        var ex = Assert.Throws<KafkaProtocolException>(() => ReadRecords(data, new RecordReadOptions { MaxDecompressedBytes = 100_000 }));
        Assert.Contains("100000", ex.Message);
        Assert.Contains(codec.ToString(), ex.Message);
        Assert.Equal(86, ex.Position); // the bomb batch's position

        Assert.Equal(3, ReadRecords(data, new RecordReadOptions { MaxDecompressedBytes = 9 * 1024 * 1024 }).Count);
    }

    [Fact]
    public void An_empty_batch_left_by_compaction_advances_the_next_offset()
    {
        byte[] data = new RecordBatchBuilder { BaseOffset = 50, LastOffsetDelta = 9, Compression = CompressionCodec.Zstd }.ToArray();
        var (batch, records) = Assert.Single(ReadAll(data, new RecordReadOptions { CheckCrcs = true }));
        Assert.Empty(records);
        Assert.Equal(60, batch.NextOffset);
    }

    [Fact]
    public void Offset_gaps_from_compaction_are_kept()
    {
        byte[] data = Batch(b =>
        {
            b.Append(1, Utf8("a"), false, Utf8("1"), false, offsetDelta: 0);
            b.Append(1, Utf8("b"), false, Utf8("2"), false, offsetDelta: 4);
        }, new RecordBatchBuilder { BaseOffset = 20 });
        Assert.Equal([20L, 24], ReadRecords(data).Select(r => r.Offset));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Many_records_across_codec_blocks_round_trip(CompressionCodec codec)
    {
        var builder = new RecordBatchBuilder { Compression = codec };
        for (int i = 0; i < 3000; i++) builder.Append(i, Utf8($"key-{i}"), Compression.CompressionTests.SampleData(100, i));
        var records = ReadRecords(builder.ToArray(), new RecordReadOptions { CheckCrcs = true });
        Assert.Equal(3000, records.Count);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i), records.Select(r => r.Offset));
        Assert.Equal(Convert.ToHexString(Compression.CompressionTests.SampleData(100, 2999)), records[^1].Value);
    }

    [Theory]
    [InlineData(CompressionCodec.None, 0)]
    [InlineData(CompressionCodec.Gzip, 1)]
    [InlineData(CompressionCodec.Snappy, 0)]
    [InlineData(CompressionCodec.Lz4, 1)]
    [InlineData(CompressionCodec.Lz4, 0)]
    public void Legacy_writer_round_trips(CompressionCodec codec, byte magic)
    {
        LegacyMessageData[] messages =
        [
            new(300, 1000, Utf8("k1"), Utf8("v1")),
            new(301, 1001, null, Utf8("v2")),
            new(302, 1002, Utf8("k3"), null),
        ];
        byte[] data = Legacy(o =>
        {
            if (codec == CompressionCodec.None)
            {
                foreach (var m in messages) LegacyMessageSetWriter.WriteMessage(o, magic, m);
            }
            else
            {
                LegacyMessageSetWriter.WriteCompressed(o, magic, codec, messages, wrapperTimestamp: 1002, kafka3160Lz4: magic == 0);
            }
        });

        var records = ReadRecords(data, new RecordReadOptions { CheckCrcs = true });
        Assert.Equal([300L, 301, 302], records.Select(r => r.Offset));
        Assert.Equal([Hex("k1"), null, Hex("k3")], records.Select(r => r.Key));
        Assert.Equal([Hex("v1"), Hex("v2"), null], records.Select(r => r.Value));
        Assert.Equal(magic == 0 ? [-1L, -1, -1] : [1000L, 1001, 1002], records.Select(r => r.Timestamp));
    }
}

internal static class BuilderExtensions
{
    public static RecordBatchBuilder Also(this RecordBatchBuilder builder, Action<RecordBatchBuilder> action)
    {
        action(builder);
        return builder;
    }
}
