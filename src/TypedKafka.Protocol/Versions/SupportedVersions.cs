namespace TypedKafka.Protocol;

/// <summary>The API versions TypedKafka's generated codecs implement (request and response ranges are equal).</summary>
public static class SupportedVersions
{
    private static readonly Dictionary<ApiKey, ApiVersionRange> Table = new()
    {
        [ApiKey.Produce] = new(ProduceRequest.LowestSupportedVersion, ProduceRequest.HighestSupportedVersion),
        [ApiKey.Fetch] = new(FetchRequest.LowestSupportedVersion, FetchRequest.HighestSupportedVersion),
        [ApiKey.ListOffsets] = new(ListOffsetsRequest.LowestSupportedVersion, ListOffsetsRequest.HighestSupportedVersion),
        [ApiKey.Metadata] = new(MetadataRequest.LowestSupportedVersion, MetadataRequest.HighestSupportedVersion),
        [ApiKey.OffsetCommit] = new(OffsetCommitRequest.LowestSupportedVersion, OffsetCommitRequest.HighestSupportedVersion),
        [ApiKey.OffsetFetch] = new(OffsetFetchRequest.LowestSupportedVersion, OffsetFetchRequest.HighestSupportedVersion),
        [ApiKey.FindCoordinator] = new(FindCoordinatorRequest.LowestSupportedVersion, FindCoordinatorRequest.HighestSupportedVersion),
        [ApiKey.JoinGroup] = new(JoinGroupRequest.LowestSupportedVersion, JoinGroupRequest.HighestSupportedVersion),
        [ApiKey.Heartbeat] = new(HeartbeatRequest.LowestSupportedVersion, HeartbeatRequest.HighestSupportedVersion),
        [ApiKey.LeaveGroup] = new(LeaveGroupRequest.LowestSupportedVersion, LeaveGroupRequest.HighestSupportedVersion),
        [ApiKey.SyncGroup] = new(SyncGroupRequest.LowestSupportedVersion, SyncGroupRequest.HighestSupportedVersion),
        [ApiKey.DescribeGroups] = new(DescribeGroupsRequest.LowestSupportedVersion, DescribeGroupsRequest.HighestSupportedVersion),
        [ApiKey.ListGroups] = new(ListGroupsRequest.LowestSupportedVersion, ListGroupsRequest.HighestSupportedVersion),
        [ApiKey.SaslHandshake] = new(SaslHandshakeRequest.LowestSupportedVersion, SaslHandshakeRequest.HighestSupportedVersion),
        [ApiKey.ApiVersions] = new(ApiVersionsRequest.LowestSupportedVersion, ApiVersionsRequest.HighestSupportedVersion),
        [ApiKey.InitProducerId] = new(InitProducerIdRequest.LowestSupportedVersion, InitProducerIdRequest.HighestSupportedVersion),
        [ApiKey.OffsetForLeaderEpoch] = new(OffsetForLeaderEpochRequest.LowestSupportedVersion, OffsetForLeaderEpochRequest.HighestSupportedVersion),
        [ApiKey.SaslAuthenticate] = new(SaslAuthenticateRequest.LowestSupportedVersion, SaslAuthenticateRequest.HighestSupportedVersion),
        [ApiKey.ConsumerGroupHeartbeat] = new(ConsumerGroupHeartbeatRequest.LowestSupportedVersion, ConsumerGroupHeartbeatRequest.HighestSupportedVersion),
    };

    public static IReadOnlyDictionary<ApiKey, ApiVersionRange> All => Table;

    public static bool TryGet(ApiKey apiKey, out ApiVersionRange range) => Table.TryGetValue(apiKey, out range);
}
