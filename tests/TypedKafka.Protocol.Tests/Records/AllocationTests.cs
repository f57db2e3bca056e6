using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

public class AllocationTests
{
    private static byte[] ThousandRecords(CompressionCodec codec)
    {
        var builder = new RecordBatchBuilder { BaseOffset = 5000, Compression = codec };
        for (int i = 0; i < 1000; i++)
        {
            builder.Append(1_700_000_000_000 + i, Utf8($"key-{i:D4}"), Compression.CompressionTests.SampleData(100, i), new RecordHeaderData("h", Utf8("v")));
        }

        return builder.ToArray();
    }

    private static long Iterate(RecordSetReader reader)
    {
        long sum = 0;
        while (reader.TryReadNextBatch(out RecordBatchInfo batch))
        {
            sum += batch.RecordCount;
            foreach (Record record in reader.ReadRecords())
            {
                sum += record.Offset + record.Timestamp + record.Key.Length + record.Value.Length + (record.IsKeyNull ? 1 : 0);
                foreach (RecordHeader header in record.Headers) sum += header.Key.Length + header.Value.Length;
            }
        }

        return sum;
    }

    [Fact]
    public void Iterating_an_uncompressed_batch_of_1000_records_allocates_nothing()
    {
        byte[] data = ThousandRecords(CompressionCodec.None);
        var options = new RecordReadOptions { CheckCrcs = true };
        using var reader = new RecordSetReader(data, options);
        long warmUp = Iterate(reader);

        reader.Reset(data, options);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = Iterate(reader);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(warmUp, sum);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(CompressionCodec.Lz4, 0)]
    [InlineData(CompressionCodec.Snappy, 512)] // Snappier allocates a small decompressor object per block
    [InlineData(CompressionCodec.Zstd, 0)]
    [InlineData(CompressionCodec.Gzip, 1000)] // GZipStream and its inflater, once per batch
    public void Iterating_a_compressed_batch_allocates_nothing_per_record(CompressionCodec codec, int allowedPerBatch)
    {
        byte[] data = ThousandRecords(codec);
        using var reader = new RecordSetReader(data);
        long warmUp = Iterate(reader);

        reader.Reset(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = Iterate(reader);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(warmUp, sum);
        Assert.True(allocated <= allowedPerBatch, $"{codec}: {allocated} bytes for 1000 records");
    }
}
