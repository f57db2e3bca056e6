using TypedKafka.Connections;
using TypedKafka.Metadata;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.RealTraffic;

/// <summary>One record (data or control) as read from the wire, copied out of the fetch buffer.</summary>
internal sealed record ReadRecord(
    long Offset,
    byte[]? Key,
    byte[]? Value,
    long Timestamp,
    TimestampType TimestampType,
    IReadOnlyList<KeyValuePair<string, byte[]?>> Headers,
    CompressionCodec Compression,
    bool IsTransactional,
    bool BatchIsControl,
    ControlRecordType ControlType);

/// <summary>
/// Reads one partition from its leader with bare <see cref="BrokerConnection"/>s: Metadata (negotiated version) to find
/// the leader and topic id, then Fetch from offset 0 until the high watermark. Only the protocol layer under test is
/// used; no consumer logic.
/// </summary>
internal static class PartitionReader
{
    public static ConnectionSettings Settings(string bootstrap) =>
        ConnectionSettings.From(new ConsumerOptions { BootstrapServers = bootstrap, RequestTimeout = TimeSpan.FromSeconds(10) });

    public static BrokerEndpoint Endpoint(string hostPort, int nodeId = -1)
    {
        var colon = hostPort.LastIndexOf(':');
        return new BrokerEndpoint(nodeId, hostPort[..colon], int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task<ClusterMetadata> MetadataAsync(BrokerConnection connection, string topic, CancellationToken ct)
    {
        var version = connection.Versions.Pick(ApiKey.Metadata);
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = topic }], AllowAutoTopicCreation = false };
        var response = await connection.RequestAsync<MetadataResponse>(request, version, ct);
        return ClusterMetadata.From(response, ClusterMetadata.Empty, allTopics: false);
    }

    /// <summary>Reads every record of <paramref name="topic"/>-0 up to its high watermark.</summary>
    /// <param name="maxFetchVersion">Caps the negotiated Fetch version (null: use the negotiated one).</param>
    /// <returns>The records and the Fetch version used.</returns>
    public static async Task<(List<ReadRecord> Records, short FetchVersion)> ReadAllAsync(
        KafkaTestCluster cluster, string topic, short? maxFetchVersion, CancellationToken ct, bool checkCrcs = true)
    {
        var settings = Settings(cluster.BootstrapServers);
        ClusterMetadata metadata;
        await using (var bootstrap = await BrokerConnection.ConnectAsync(Endpoint(cluster.Brokers[1]), settings, ct))
            metadata = await MetadataAsync(bootstrap, topic, ct);

        var tp = new TopicPartition(topic, 0);
        var leader = metadata.LeaderFor(tp) ?? throw new InvalidOperationException($"{tp} has no leader in {metadata.Brokers.Count} brokers' metadata.");
        var topicId = metadata.Topics[topic].TopicId;

        await using var connection = await BrokerConnection.ConnectAsync(leader, settings, ct);
        var version = connection.Versions.Pick(ApiKey.Fetch, maxFetchVersion);
        if (version >= 13) Assert.NotEqual(KafkaUuid.Zero, topicId);

        var records = new List<ReadRecord>();
        var options = new RecordReadOptions { CheckCrcs = checkCrcs };
        long offset = 0;
        var highWatermark = long.MaxValue;
        using var reader = new RecordSetReader(ReadOnlyMemory<byte>.Empty, options);
        while (offset < highWatermark)
        {
            ct.ThrowIfCancellationRequested();
            var request = new FetchRequest
            {
                MaxWaitMs = 100,
                MinBytes = 1,
                MaxBytes = 4 * 1024 * 1024,
                IsolationLevel = 0,
                Topics =
                [
                    new FetchRequest.FetchTopic
                    {
                        Topic = topic,
                        TopicId = topicId,
                        Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, PartitionMaxBytes = 1024 * 1024 }],
                    },
                ],
            };
            var frame = await connection.SendAsync(request, version, pooled: true, TimeSpan.FromSeconds(10), ct);
            try
            {
                var response = frame.Decode<FetchResponse>();
                Assert.Equal(ErrorCode.None, (ErrorCode)response.ErrorCode);
                var topicResponse = Assert.Single(response.Responses);
                if (version >= 13) Assert.Equal(topicId, topicResponse.TopicId);
                else Assert.Equal(topic, topicResponse.Topic);
                var partition = Assert.Single(topicResponse.Partitions);
                Assert.Equal(ErrorCode.None, (ErrorCode)partition.ErrorCode);
                highWatermark = partition.HighWatermark;

                reader.Reset(partition.Records ?? ReadOnlyMemory<byte>.Empty, options, offset);
                while (reader.TryReadNextBatch(out var batch))
                {
                    while (reader.TryReadNextRecord(out var r))
                    {
                        var headers = new List<KeyValuePair<string, byte[]?>>();
                        foreach (var h in r.Headers) headers.Add(new(h.GetKeyString(), h.IsValueNull ? null : h.Value.ToArray()));
                        records.Add(new ReadRecord(
                            r.Offset,
                            r.IsKeyNull ? null : r.Key.ToArray(),
                            r.IsValueNull ? null : r.Value.ToArray(),
                            r.Timestamp,
                            r.TimestampType,
                            headers,
                            batch.Compression,
                            batch.IsTransactional,
                            batch.IsControl,
                            r.ControlType));
                    }
                    offset = Math.Max(offset, batch.NextOffset);
                }
                Assert.False(reader.HasTruncatedTail && offset == request.Topics[0].Partitions[0].FetchOffset,
                    $"A batch at offset {offset} is larger than the fetch size.");
            }
            finally
            {
                frame.Release();
            }
        }
        return (records, version);
    }
}
