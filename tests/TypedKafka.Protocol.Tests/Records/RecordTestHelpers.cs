using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TypedKafka.Protocol.Tests.Records;

/// <summary>A record copied out of the reader, comparable by value (hex for byte fields).</summary>
internal sealed record ReadRecord(
    long Offset, long Timestamp, TimestampType TimestampType, string? Key, string? Value, string Headers,
    ControlRecordType ControlType, int LeaderEpoch, long ProducerId, bool IsTransactional)
{
    public static ReadRecord From(Record r)
    {
        var headers = new StringBuilder();
        foreach (RecordHeader h in r.Headers)
        {
            headers.Append(h.GetKeyString()).Append('=').Append(h.IsValueNull ? "null" : Convert.ToHexString(h.Value)).Append(';');
        }

        return new ReadRecord(r.Offset, r.Timestamp, r.TimestampType,
            r.IsKeyNull ? null : Convert.ToHexString(r.Key), r.IsValueNull ? null : Convert.ToHexString(r.Value),
            headers.ToString(), r.ControlType, r.LeaderEpoch, r.ProducerId, r.IsTransactional);
    }
}

internal static class RecordTestHelpers
{
    public static List<(RecordBatchInfo Batch, List<ReadRecord> Records)> ReadAll(byte[] data, RecordReadOptions? options = null, long startOffset = 0)
    {
        var result = new List<(RecordBatchInfo, List<ReadRecord>)>();
        using var reader = new RecordSetReader(data, options, startOffset);
        while (reader.TryReadNextBatch(out RecordBatchInfo batch))
        {
            var records = new List<ReadRecord>();
            foreach (Record record in reader.ReadRecords()) records.Add(ReadRecord.From(record));
            result.Add((batch, records));
        }

        return result;
    }

    public static List<ReadRecord> ReadRecords(byte[] data, RecordReadOptions? options = null, long startOffset = 0) =>
        ReadAll(data, options, startOffset).SelectMany(b => b.Records).ToList();

    public static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A legacy message built field by field (independently of LegacyMessageSetWriter), with its CRC-32.</summary>
    public static byte[] LegacyMessage(byte magic, long offset, byte attributes, long timestamp, byte[]? key, byte[]? value)
    {
        var m = new List<byte>();
        m.AddRange(Int64(offset));
        m.AddRange(Int32(0)); // size, patched below
        m.AddRange(Int32(0)); // crc, patched below
        m.Add(magic);
        m.Add(attributes);
        if (magic == 1) m.AddRange(Int64(timestamp));
        m.AddRange(Int32(key?.Length ?? -1));
        if (key is not null) m.AddRange(key);
        m.AddRange(Int32(value?.Length ?? -1));
        if (value is not null) m.AddRange(value);
        byte[] bytes = [.. m];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), bytes.Length - 12);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), Crc32.Compute(bytes.AsSpan(16)));
        return bytes;
    }

    public static byte[] Int64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, v);
        return b;
    }

    public static byte[] Int32(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    public static byte[] Batch(Action<RecordBatchBuilder> append, RecordBatchBuilder? builder = null)
    {
        builder ??= new RecordBatchBuilder();
        append(builder);
        return builder.ToArray();
    }

    public static byte[] Legacy(Action<ArrayBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }
}
