using System.Net.Sockets;
using TypedKafka.Connections;
using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>The fake broker itself: framing, pipelining, drops, and a plain consumer reading from its log.</summary>
public sealed class FakeKafkaBrokerTests
{
    [Fact]
    public async Task Pipelined_requests_in_one_write_are_answered_in_order()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic, partitions: 2);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", broker.Port);
        var stream = client.GetStream();

        using var first = KafkaFrames.EncodeRequest(new ApiVersionsRequest { ClientSoftwareName = "x", ClientSoftwareVersion = "1" }, 3, 11, "c");
        using var second = KafkaFrames.EncodeRequest(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = Topic }] }, 12, 12, "c");
        using var third = KafkaFrames.EncodeRequest(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "nope" }] }, 1, 13, "c");
        await stream.WriteAsync(FakeRecords.Concat(first.Memory.ToArray(), second.Memory.ToArray(), third.Memory.ToArray()));

        var versions = ApiVersionsFallback.DecodeFrame(await ReadFrameAsync(stream), 3, out var id1, out _);
        var metadata = KafkaFrames.DecodeResponse<MetadataResponse>(await ReadFrameAsync(stream), 12, out var id2);
        var unknown = KafkaFrames.DecodeResponse<MetadataResponse>(await ReadFrameAsync(stream), 1, out var id3);

        Assert.Equal([11, 12, 13], new[] { id1, id2, id3 });
        Assert.Contains(versions.ApiKeys, k => k.ApiKey == (short)ApiKey.Fetch && k.MaxVersion == 16);
        Assert.Equal(2, metadata.Topics.Single().Partitions.Count);
        Assert.False(metadata.Topics.Single().TopicId.IsZero);
        Assert.Equal(broker.Port, metadata.Brokers.Single().Port);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.Topics.Single().ErrorCode);
        Assert.Equal([ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Metadata], broker.Requests.Select(r => r.Api));
        Assert.All(broker.Requests, r => Assert.Equal("c", r.ClientId));
    }

    [Fact]
    public async Task ApiVersions_above_the_configured_range_is_refused_in_v0_and_the_client_retries()
    {
        await using var broker = new FakeKafkaBroker();
        broker.ApiVersions[ApiKey.ApiVersions] = (0, 2);
        await using var connection = await BrokerConnection.ConnectAsync(new BrokerEndpoint(1, "127.0.0.1", broker.Port),
            ConnectionSettings.From(new ConsumerOptions { RequestTimeout = TimeSpan.FromSeconds(5) }), CancellationToken.None);

        Assert.Equal(2, connection.Versions.Pick(ApiKey.ApiVersions));
        Assert.Equal(16, connection.Versions.Pick(ApiKey.Fetch));
        Assert.Equal(7, connection.Versions.Pick(ApiKey.ListOffsets));
        Assert.Equal([(short)4, (short)2], broker.RequestsOf(ApiKey.ApiVersions).Select(r => r.Version));
    }

    [Fact]
    public async Task A_script_can_drop_the_connection_and_the_broker_accepts_a_new_one()
    {
        await using var broker = new FakeKafkaBroker();
        var settings = ConnectionSettings.From(new ConsumerOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        var endpoint = new BrokerEndpoint(1, "127.0.0.1", broker.Port);
        broker.Intercept = r => r.Api == ApiKey.Metadata ? Reply.DropConnection : null;
        await using (var connection = await BrokerConnection.ConnectAsync(endpoint, settings, CancellationToken.None))
        {
            await Assert.ThrowsAsync<KafkaConnectionException>(() =>
                connection.RequestAsync<MetadataResponse>(new MetadataRequest(), 12, CancellationToken.None));
            Assert.False(connection.IsAlive);
        }

        broker.Intercept = null;
        await using var again = await BrokerConnection.ConnectAsync(endpoint, settings, CancellationToken.None);
        var response = await again.RequestAsync<MetadataResponse>(new MetadataRequest(), 12, CancellationToken.None);
        Assert.Single(response.Brokers);
        Assert.Equal(2, broker.ConnectionCount);

        broker.DropConnections();
        await Testing.Eventually.TrueAsync(() => !again.IsAlive, Patience, "the dropped connection to be noticed");
    }

    [Fact]
    public async Task A_consumer_reads_a_log_of_several_batches()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(FakeRecords.Concat(FakeRecords.Batch(0, 3), FakeRecords.Batch(3, 4, compression: CompressionCodec.Gzip)));
        await using var consumer = NewConsumer(broker);

        var records = await ConsumeAsync(consumer, 7);

        AssertOffsets(records, Range(0, 7));
        Assert.Equal(["v0", "v1", "v2", "v3", "v4", "v5", "v6"], records.Select(r => r.Value));
        Assert.Equal("k4", records[4].Key);
        Assert.Equal(7, await consumer.PositionAsync(P0));
        Assert.Equal(7, consumer.Highwater(P0));
        var fetch = broker.RequestsOf(ApiKey.Fetch)[0];
        Assert.Equal(16, fetch.Version);
        Assert.Equal(broker.Cluster.Topic(Topic).Id, fetch.Fetch.Topics.Single().TopicId);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadFrameAsync(NetworkStream stream)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix);
        var frame = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await stream.ReadExactlyAsync(frame);
        return frame;
    }
}
