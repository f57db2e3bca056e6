using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

public class PooledRecordBatchWriterTests
{
    public static TheoryData<CompressionCodec> Codecs() => new(Enum.GetValues<CompressionCodec>());

    private static byte[] Headers(params (string Key, byte[]? Value)[] headers)
    {
        var buffer = new byte[1024];
        var p = 0;
        foreach (var (key, value) in headers) p += PooledRecordBatchWriter.WriteHeader(buffer.AsSpan(p), key, value, value is null);
        return buffer[..p];
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Batches_it_writes_decode_to_the_records_appended_with_the_stamped_idempotence_fields(CompressionCodec codec)
    {
        using var writer = new PooledRecordBatchWriter(128);
        var headers = Headers(("trace", Utf8("abc")), ("null", null));
        writer.Append(1_700_000_000_000, Utf8("k0"), false, Utf8("v0"), false, 2, headers);
        writer.Append(1_700_000_000_007, default, true, Utf8(new string('x', 500)), false, 0, default);
        writer.Append(1_699_999_999_000, Utf8("tomb"), false, default, true, 0, default);
        writer.Seal(codec);
        writer.Stamp(producerId: 77, producerEpoch: 3, baseSequence: 41);

        var (batch, records) = Assert.Single(ReadAll(writer.Memory.ToArray(), new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(codec, batch.Compression);
        Assert.Equal(77, batch.ProducerId);
        Assert.Equal(3, batch.ProducerEpoch);
        Assert.Equal(41, batch.BaseSequence);
        Assert.Equal(3, batch.RecordCount);
        Assert.Equal(1_700_000_000_007, batch.MaxTimestamp);
        Assert.Equal(3, records.Count);
        Assert.Equal(Hex("k0"), records[0].Key);
        Assert.Equal(1_700_000_000_000, records[0].Timestamp);
        Assert.Equal($"trace={Hex("abc")};null=null;", records[0].Headers);
        Assert.Null(records[1].Key);
        Assert.Equal(Hex(new string('x', 500)), records[1].Value);
        Assert.Equal(1_700_000_000_007, records[1].Timestamp);
        Assert.Null(records[2].Value);
        Assert.Equal(1_699_999_999_000, records[2].Timestamp);
    }

    [Fact]
    public void Stamping_again_rewrites_the_idempotence_fields_and_the_crc()
    {
        using var writer = new PooledRecordBatchWriter(64);
        writer.Append(5, Utf8("k"), false, Utf8("v"), false, 0, default);
        writer.Seal(CompressionCodec.None);
        writer.Stamp(1, 0, 0);
        writer.Stamp(2, 5, 100);
        var (batch, _) = Assert.Single(ReadAll(writer.Memory.ToArray(), new RecordReadOptions { CheckCrcs = true }));
        Assert.Equal(2, batch.ProducerId);
        Assert.Equal(5, batch.ProducerEpoch);
        Assert.Equal(100, batch.BaseSequence);
    }

    [Fact]
    public void RecordSize_predicts_the_bytes_Append_takes()
    {
        using var writer = new PooledRecordBatchWriter(64);
        var headers = Headers(("h", Utf8("value")));
        var first = writer.SizeOfNext(1000, 3, 10, 1, headers.Length);
        Assert.Equal(first, writer.Append(1000, Utf8("abc"), false, new byte[10], false, 1, headers));
        var second = writer.SizeOfNext(900_000, -1, 300, 0, 0);
        Assert.Equal(second, writer.Append(900_000, default, true, new byte[300], false, 0, default));
        Assert.True(PooledRecordBatchWriter.MaxRecordSize(-1, 300, 0, 0) >= second);
    }

    [Fact]
    public void A_sealed_batch_takes_no_more_records_and_an_unsealed_one_cannot_be_read()
    {
        using var writer = new PooledRecordBatchWriter(64);
        Assert.Throws<InvalidOperationException>(() => writer.Memory);
        writer.Seal(CompressionCodec.None);
        Assert.Throws<InvalidOperationException>(() => writer.Append(0, default, true, default, true, 0, default));
    }
}
