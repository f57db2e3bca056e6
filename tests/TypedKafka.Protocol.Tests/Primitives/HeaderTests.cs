using static TypedKafka.Protocol.Tests.Primitives.Bytes;

namespace TypedKafka.Protocol.Tests.Primitives;

public class HeaderTests
{
    [Theory]
    [InlineData(ApiKey.Fetch, 11, 1, 0)]
    [InlineData(ApiKey.Fetch, 12, 2, 1)]
    [InlineData(ApiKey.Metadata, 8, 1, 0)]
    [InlineData(ApiKey.Metadata, 9, 2, 1)]
    [InlineData(ApiKey.SaslHandshake, 1, 1, 0)]
    [InlineData(ApiKey.ApiVersions, 2, 1, 0)]
    [InlineData(ApiKey.ApiVersions, 3, 2, 0)] // ApiVersions responses keep header v0 (KIP-511)
    [InlineData(ApiKey.ApiVersions, 4, 2, 0)]
    [InlineData(ApiKey.ControlledShutdown, 0, 0, 0)]
    [InlineData(ApiKey.ConsumerGroupHeartbeat, 0, 2, 1)]
    public void HeaderVersionsFollowFlexibleVersions(ApiKey api, short version, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, HeaderVersions.RequestHeaderVersion((short)api, version));
        Assert.Equal(responseHeader, HeaderVersions.ResponseHeaderVersion((short)api, version));
    }

    [Fact]
    public void RequestHeaderV2KeepsAClassicClientId()
    {
        var header = new RequestHeader { RequestApiKey = 1, RequestApiVersion = 12, CorrelationId = 7, ClientId = "cli" };
        byte[] expected = Of(I16(1), I16(12), I32(7), Str("cli"), NoTags);
        var buffer = new byte[header.ComputeSize(2)];
        var writer = new KafkaWriter(buffer);
        header.Write(ref writer, 2);
        Assert.Equal(expected, buffer);
        var reader = new KafkaReader(buffer);
        var read = RequestHeader.Read(ref reader);
        Assert.Equal(("cli", 7, (short)12), (read.ClientId, read.CorrelationId, read.RequestApiVersion));
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void RequestHeaderV0AndV1()
    {
        var header = new RequestHeader { RequestApiKey = 7, RequestApiVersion = 0, CorrelationId = 1, ClientId = null };
        Assert.Equal(8, header.ComputeSize(0));
        Assert.Equal(10, header.ComputeSize(1));
        var buffer = new byte[10];
        var writer = new KafkaWriter(buffer);
        header.Write(ref writer, 1);
        Assert.Equal(Of(I16(7), I16(0), I32(1), I16(-1)), buffer);
    }

    [Fact]
    public void ResponseHeaderV1HasTaggedFields()
    {
        var reader = new KafkaReader(Of(I32(42), 1, 5, 1, 0xAB));
        var header = ResponseHeader.Read(ref reader, 1);
        Assert.Equal(42, header.CorrelationId);
        Assert.Equal(5, Assert.Single(header.UnknownTaggedFields!).Tag);
        var buffer = new byte[header.ComputeSize(1)];
        var writer = new KafkaWriter(buffer);
        header.Write(ref writer, 1);
        Assert.Equal(Of(I32(42), 1, 5, 1, 0xAB), buffer);
    }
}
