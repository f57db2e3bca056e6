using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using TypedKafka.Protocol;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Record batches for the fake broker, built with <see cref="RecordBatchBuilder"/> or by hand.</summary>
internal static class FakeRecords
{
    public const long Timestamp = 1_700_000_000_000;

    /// <summary>A batch of records at <paramref name="baseOffset"/>...: key "k{offset}", value "{prefix}{offset}".</summary>
    public static byte[] Batch(long baseOffset, int count, string prefix = "v", CompressionCodec compression = CompressionCodec.None,
        int leaderEpoch = -1, long producerId = -1, short producerEpoch = -1, bool transactional = false) =>
        Values(baseOffset, [.. Enumerable.Range(0, count).Select(i => $"{prefix}{baseOffset + i}")], compression, leaderEpoch, producerId, producerEpoch, transactional);

    /// <summary>A batch holding <paramref name="values"/> at consecutive offsets from <paramref name="baseOffset"/>, keys "k{offset}".</summary>
    public static byte[] Values(long baseOffset, IReadOnlyList<string?> values, CompressionCodec compression = CompressionCodec.None,
        int leaderEpoch = -1, long producerId = -1, short producerEpoch = -1, bool transactional = false)
    {
        var builder = new RecordBatchBuilder
        {
            BaseOffset = baseOffset,
            Compression = compression,
            PartitionLeaderEpoch = leaderEpoch,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            BaseSequence = producerId >= 0 ? 0 : -1,
            IsTransactional = transactional,
        };
        for (var i = 0; i < values.Count; i++)
        {
            builder.Append(Timestamp + baseOffset + i, Encoding.UTF8.GetBytes($"k{baseOffset + i}"), values[i] is { } v ? Encoding.UTF8.GetBytes(v) : null);
        }
        return builder.ToArray();
    }

    /// <summary>A transactional batch of producer <paramref name="producerId"/>.</summary>
    public static byte[] Transactional(long baseOffset, int count, long producerId, string prefix = "v", CompressionCodec compression = CompressionCodec.None) =>
        Batch(baseOffset, count, prefix, compression, producerId: producerId, producerEpoch: 0, transactional: true);

    /// <summary>A COMMIT or ABORT control batch (KIP-98): key = version 0 + type, value = version 0 + coordinator epoch.</summary>
    public static byte[] Marker(long offset, long producerId, ControlRecordType type, int coordinatorEpoch = 7)
    {
        var output = new ArrayBufferWriter<byte>();
        RecordBatchBuilder.WriteEndTransactionMarker(output, offset, producerId, 0, type, coordinatorEpoch, Timestamp + offset);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>A copy whose stored CRC-32C no longer matches (the data itself is intact).</summary>
    public static byte[] WithBadCrc(byte[] batch)
    {
        var copy = (byte[])batch.Clone();
        copy[17] ^= 0xFF;
        return copy;
    }

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="batch"/>: a batch cut off by the fetch size limit.</summary>
    public static byte[] Truncated(byte[] batch, int length) => batch[..length];

    /// <summary>A batch header claiming a length of <paramref name="claimedLength"/> bytes followed by only a few bytes.</summary>
    public static byte[] HugeHeader(long baseOffset, int claimedLength = int.MaxValue)
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteInt64BigEndian(bytes, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), claimedLength);
        bytes[16] = 2;
        return bytes;
    }
}

/// <summary>Fetch responses for scripted answers.</summary>
internal static class FakeFetch
{
    /// <summary>One partition's data; the high watermark defaults to the end of <paramref name="records"/> when known.</summary>
    public static FetchResponse.PartitionData Partition(int partition, byte[]? records, long highWatermark, ErrorCode error = ErrorCode.None,
        long lastStableOffset = -1, long logStartOffset = 0, IEnumerable<(long ProducerId, long FirstOffset)>? aborted = null) => new()
        {
            PartitionIndex = partition,
            ErrorCode = (short)error,
            HighWatermark = highWatermark,
            LastStableOffset = lastStableOffset >= 0 ? lastStableOffset : highWatermark,
            LogStartOffset = logStartOffset,
            Records = records,
            AbortedTransactions = aborted is null ? [] : [.. aborted.Select(a => new FetchResponse.AbortedTransaction { ProducerId = a.ProducerId, FirstOffset = a.FirstOffset })],
        };

    /// <summary>A response for one topic (the broker fills the topic id for v13+).</summary>
    public static FetchResponse Response(string topic, params FetchResponse.PartitionData[] partitions)
    {
        var response = new FetchResponse();
        response.Responses.Add(new FetchResponse.FetchableTopicResponse { Topic = topic, Partitions = [.. partitions] });
        return response;
    }

    /// <summary>An answer with no data for each of the call's partitions, after the long poll.</summary>
    public static Reply Empty(FetchCall call)
    {
        var response = new FetchResponse();
        foreach (var topic in call.Partitions.GroupBy(p => p.Topic))
        {
            response.Responses.Add(new FetchResponse.FetchableTopicResponse
            {
                Topic = topic.Key,
                Partitions = [.. topic.Select(p => Partition(p.Partition, null, call.Broker.Cluster.Log(p.Topic, p.Partition).HighWatermark))],
            });
        }
        return Reply.With(response, TimeSpan.FromMilliseconds(Math.Clamp(call.Request.MaxWaitMs, 0, 500)));
    }

    /// <summary>An error for one partition.</summary>
    public static Reply Error(FetchCall call, ErrorCode error) =>
        Response(call.Single.Topic, Partition(call.Single.Partition, null, -1, error));
}
