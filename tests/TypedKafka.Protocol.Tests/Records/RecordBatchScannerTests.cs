using System.Buffers.Binary;
using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

/// <summary>The batch-header walk the fetcher uses to learn where its next fetch starts (RecordBatchScanner).</summary>
public class RecordBatchScannerTests
{
    private static byte[] Batch(long baseOffset, int leaderEpoch, int records, CompressionCodec codec = CompressionCodec.None)
    {
        var builder = new RecordBatchBuilder { BaseOffset = baseOffset, PartitionLeaderEpoch = leaderEpoch, Compression = codec };
        for (var i = 0; i < records; i++) builder.Append(1_700_000_000_000 + i, Utf8($"k{i}"), Utf8($"value-{i}"));
        return builder.ToArray();
    }

    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Zstd)]
    public void Complete_batches_give_the_offset_after_the_last_one_and_its_leader_epoch(CompressionCodec codec)
    {
        var data = Concat(Batch(100, 3, 5, codec), Batch(105, 4, 7, codec));

        Assert.Equal(BatchScanResult.Found, RecordBatchScanner.Scan(data, out var next, out var epoch));

        Assert.Equal(112, next);
        Assert.Equal(4, epoch);
    }

    [Fact]
    public void A_last_offset_delta_beyond_the_records_left_by_compaction_still_counts()
    {
        var builder = new RecordBatchBuilder { BaseOffset = 50, PartitionLeaderEpoch = 1, LastOffsetDelta = 9 };
        builder.Append(1, Utf8("k"), Utf8("v"));

        Assert.Equal(BatchScanResult.Found, RecordBatchScanner.Scan(builder.ToArray(), out var next, out _));

        Assert.Equal(60, next);
    }

    [Fact]
    public void A_partial_batch_after_a_complete_one_is_left_for_the_next_fetch()
    {
        var second = Batch(10, 2, 3);
        var data = Concat(Batch(0, 2, 10), second[..(second.Length - 5)]);

        Assert.Equal(BatchScanResult.Found, RecordBatchScanner.Scan(data, out var next, out var epoch));

        Assert.Equal(10, next);
        Assert.Equal(2, epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(60)]
    public void Data_ending_inside_the_first_batch_is_truncated(int length)
    {
        var data = Batch(0, 0, 3)[..length];

        Assert.Equal(BatchScanResult.Truncated, RecordBatchScanner.Scan(data, out var next, out var epoch));

        Assert.Equal(-1, next);
        Assert.Equal(-1, epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(48)]
    [InlineData(-1)]
    public void A_first_batch_length_too_small_for_magic_2_is_invalid(int batchLength)
    {
        var data = Batch(0, 0, 3);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), batchLength);

        Assert.Equal(BatchScanResult.Invalid, RecordBatchScanner.Scan(data, out _, out _));
    }

    [Fact]
    public void A_bad_header_after_good_batches_ends_the_scan_there()
    {
        var bad = Batch(20, 5, 2);
        BinaryPrimitives.WriteInt32BigEndian(bad.AsSpan(8), 3);
        var data = Concat(Batch(0, 5, 20), bad);

        Assert.Equal(BatchScanResult.Found, RecordBatchScanner.Scan(data, out var next, out var epoch));

        Assert.Equal(20, next);
        Assert.Equal(5, epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_legacy_message_gives_its_offset_plus_one_and_no_epoch(byte magic)
    {
        var data = Concat(LegacyMessage(magic, 41, 0, 1_700_000_000_000, Utf8("k"), Utf8("v")), LegacyMessage(magic, 42, 0, 1_700_000_000_001, null, Utf8("w")));

        Assert.Equal(BatchScanResult.Found, RecordBatchScanner.Scan(data, out var next, out var epoch));

        Assert.Equal(43, next);
        Assert.Equal(-1, epoch);
    }
}
