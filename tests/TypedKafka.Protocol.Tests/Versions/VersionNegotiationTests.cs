using static TypedKafka.Protocol.Tests.Primitives.Bytes;

namespace TypedKafka.Protocol.Tests.Versions;

public class VersionNegotiationTests
{
    private static ApiVersionsResponse Broker(params (ApiKey Key, short Min, short Max)[] ranges) => new()
    {
        ApiKeys = ranges.Select(r => new ApiVersionsResponse.ApiVersion { ApiKey = (short)r.Key, MinVersion = r.Min, MaxVersion = r.Max }).ToList(),
    };

    [Fact]
    public void SupportedVersionsMatchTheCodecs()
    {
        Assert.Equal(19, SupportedVersions.All.Count);
        Assert.Equal(new ApiVersionRange(0, 17), SupportedVersions.All[ApiKey.Fetch]);
        Assert.Equal(new ApiVersionRange(0, 4), SupportedVersions.All[ApiKey.ApiVersions]);
        Assert.False(SupportedVersions.TryGet(ApiKey.CreateTopics, out _));
    }

    [Fact]
    public void PicksTheHighestCommonVersion()
    {
        var broker = Broker((ApiKey.Fetch, 4, 20), (ApiKey.Metadata, 0, 9), (ApiKey.JoinGroup, 15, 16), (ApiKey.CreateTopics, 0, 7));
        Assert.Equal((short)17, VersionNegotiation.PickVersion(ApiKey.Fetch, broker)); // broker newer than us
        Assert.Equal((short)9, VersionNegotiation.PickVersion(ApiKey.Metadata, broker)); // broker older than us
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.JoinGroup, broker)); // no overlap
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.Heartbeat, broker)); // broker lacks the API
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.CreateTopics, broker)); // we lack the API
    }

    [Theory]
    [InlineData(0, 10, 0, ApiKey.Fetch, 2)]
    [InlineData(0, 10, 1, ApiKey.ListOffsets, 1)]
    [InlineData(0, 11, 0, ApiKey.Fetch, 5)]
    [InlineData(1, 1, 0, ApiKey.Fetch, 7)]
    [InlineData(2, 1, 0, ApiKey.Fetch, 10)]
    [InlineData(2, 3, 0, ApiKey.Fetch, 11)]
    [InlineData(2, 7, 0, ApiKey.Fetch, 12)]
    [InlineData(2, 8, 0, ApiKey.Metadata, 11)]
    [InlineData(2, 8, 3, ApiKey.Produce, 9)] // patch releases behave like their minor
    [InlineData(3, 1, 0, ApiKey.Fetch, 13)]
    [InlineData(3, 2, 0, ApiKey.JoinGroup, 9)]
    [InlineData(3, 9, 0, ApiKey.Fetch, 17)]
    [InlineData(4, 0, 0, ApiKey.Produce, 11)] // 4.0 has Produce 12, we stop at 11
    [InlineData(4, 0, 0, ApiKey.ConsumerGroupHeartbeat, 1)]
    public void PinnedBrokerReleases(int major, int minor, int patch, ApiKey api, short expected)
    {
        Assert.Equal(expected, VersionNegotiation.PickVersion(api, new KafkaRelease(major, minor, patch)));
    }

    [Fact]
    public void PinnedReleaseEdges()
    {
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.SaslAuthenticate, new KafkaRelease(0, 11)));
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.ConsumerGroupHeartbeat, new KafkaRelease(3, 6)));
        Assert.Null(VersionNegotiation.PickVersion(ApiKey.Fetch, new KafkaRelease(0, 9)));
        Assert.True(BrokerReleases.TryGetRange(new KafkaRelease(4, 0), ApiKey.Fetch, out var fetch));
        Assert.Equal(new ApiVersionRange(4, 17), fetch); // KIP-896 raised the minimum
        Assert.True(BrokerReleases.TryGetRange(new KafkaRelease(3, 9), ApiKey.Fetch, out fetch));
        Assert.Equal(0, fetch.Min);
        Assert.Contains(new KafkaRelease(2, 4), BrokerReleases.Known);
        Assert.Equal(3 + 1 + 2 + 9 + 10 + 1, BrokerReleases.Known.Count); // 0.10.0-0.10.2, 0.11, 1.0-1.1, 2.0-2.8, 3.0-3.9, 4.0
        // Max versions never go down from one release to the next.
        foreach (var api in SupportedVersions.All.Keys)
        {
            short previous = -1;
            foreach (var release in BrokerReleases.Known)
            {
                short max = BrokerReleases.TryGetRange(release, api, out var r) ? r.Max : (short)-1;
                Assert.True(max >= previous, $"{api} goes down at {release}");
                previous = max;
            }
        }
    }

    [Fact]
    public void UnsupportedApiVersionsFallsBackToV0Format()
    {
        // A 2.4+ broker that only knows ApiVersions v0-v3, answering our v4 request: response header v0,
        // then a v0 body: error 35, [api_key min max] listing its ApiVersions range.
        byte[] frame = Of(I32(11), I16(35), Arr(2), I16(18), I16(0), I16(3), I16(1), I16(0), I16(12));
        var response = ApiVersionsFallback.DecodeFrame(frame, requestVersion: 4, out int correlationId, out short decoded);
        Assert.Equal(11, correlationId);
        Assert.Equal(0, decoded);
        Assert.Equal(ErrorCode.UnsupportedVersion, (ErrorCode)response.ErrorCode);
        Assert.Equal(3, VersionNegotiation.ApiVersionsRetryVersion(response));

        // Pre-2.4 brokers answer with an empty list: retry with v0.
        frame = Of(I32(12), I16(35), Arr(0));
        response = ApiVersionsFallback.DecodeFrame(frame, 3, out _, out decoded);
        Assert.Equal(0, decoded);
        Assert.Equal(0, VersionNegotiation.ApiVersionsRetryVersion(response));
    }

    [Fact]
    public void SupportedApiVersionsDecodesAtTheRequestedVersion()
    {
        // v3 body (flexible): error 0, compact array, throttle, tags; header stays v0.
        byte[] frame = Of(I32(5), I16(0), CArr(1), I16(1), I16(4), I16(17), NoTags, I32(0), NoTags);
        var response = ApiVersionsFallback.DecodeFrame(frame, 3, out _, out short decoded);
        Assert.Equal(3, decoded);
        Assert.Equal((short)17, VersionNegotiation.PickVersion(ApiKey.Fetch, response));
        Assert.Equal(new ApiVersionRange(4, 17), VersionNegotiation.FindBrokerRange(ApiKey.Fetch, response));
    }
}
